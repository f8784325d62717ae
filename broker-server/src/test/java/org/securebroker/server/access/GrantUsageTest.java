package org.securebroker.server.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.securebroker.protocol.integrity.SigningKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditLogs;
import org.securebroker.server.rbac.Grant;
import org.securebroker.server.rbac.Policy;

/** Which grants the audit log shows were used in a window, as {@code broker rbac unused} and {@code broker check} read it. */
class GrantUsageTest {

    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private static final Policy POLICY = Policy.parse("""
            roles:
              producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
              consumer:
                allow:
                  - actions: [consume]
                    resources: ["orders.*"]
              auditor:
                allow:
                  - actions: [read-audit]
                    resources: [audit]
            """, "test");

    @TempDir
    Path dir;

    private final SigningKey key = SigningKey.generate(new SecureRandom());

    private static AuditEvent allow(String rule, String policyVersion, int count) {
        return AuditEvent.of("authz.allow").principal("alice").action("publish").resource("orders.eu").decision("allow")
                .rule(rule).policy(policyVersion).detail("count", count).build();
    }

    @Test
    void shouldCountAllowsInTheWindowUnderTheSamePolicyVersionOnly() throws Exception {
        AuditLogs.append(dir, key, NOW.minus(Duration.ofDays(40)), allow("consumer/allow[0]", POLICY.version(), 1));
        AuditLogs.append(dir, key, NOW.minus(Duration.ofDays(1)), allow("producer/allow[0]", POLICY.version(), 3),
                allow("producer/allow[0]", POLICY.version(), 2), allow("auditor/allow[0]", "sha256:0000000000000000", 1));

        GrantUsage usage = GrantUsage.read(POLICY, dir, NOW.minus(Duration.ofDays(30)));

        assertThat(usage.uses()).containsExactlyEntriesOf(Map.of("producer/allow[0]", 5L));
        assertThat(usage.unused()).extracting(Grant::ruleId).containsExactly("auditor/allow[0]", "consumer/allow[0]");
        assertThat(usage.allowsUnderOtherVersions()).isEqualTo(1);
        assertThat(usage.windowCovered()).isTrue();
    }

    @Test
    void shouldSayWhenTheLogStartsAfterTheWindow() throws Exception {
        AuditLogs.append(dir, key, NOW.minus(Duration.ofDays(2)), allow("producer/allow[0]", POLICY.version(), 1));

        GrantUsage usage = GrantUsage.read(POLICY, dir, NOW.minus(Duration.ofDays(30)));

        assertThat(usage.windowCovered()).isFalse();
        assertThat(usage.auditStarts()).isEqualTo(NOW.minus(Duration.ofDays(2)));
    }

    @Test
    void shouldRefuseAMissingDirectory() {
        assertThatThrownBy(() -> GrantUsage.read(POLICY, dir.resolve("nowhere"), NOW))
                .isInstanceOf(NoSuchFileException.class);
        assertThat(Files.exists(dir.resolve("nowhere"))).isFalse();
    }
}
