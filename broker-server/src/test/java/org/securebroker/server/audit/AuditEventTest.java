package org.securebroker.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Building events: validation, safe text, details, fingerprints. */
class AuditEventTest {

    @Test
    void shouldBuildAnEventWithItsFieldsAndDetailsInInsertionOrder() {
        AuditEvent e = AuditEvent.of("authz.allow").principal("alice").source("192.0.2.1:4000").mechanism("SCRAM-SHA-256")
                .action("consume").resource("orders").decision("allow").rule("r3").policy("9f2c").reason("granted")
                .detail("count", 12).detail("firstTime", Instant.parse("2026-11-27T12:00:00Z")).detail("ok", true)
                .detail("ratio", 0.5).build();

        assertThat(e.type()).isEqualTo("authz.allow");
        assertThat(e.principal()).isEqualTo("alice");
        assertThat(e.details()).containsExactly(Map.entry("count", 12L), Map.entry("firstTime", "2026-11-27T12:00:00.000Z"),
                Map.entry("ok", true), Map.entry("ratio", 0.5));
        assertThatThrownBy(() -> e.details().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldRefuseATypeThatIsNotADottedLowerCaseName() {
        for (String bad : new String[] {"", "Auth.success", "auth..success", ".auth", "auth success", "auth\n"}) {
            assertThatThrownBy(() -> AuditEvent.of(bad).build()).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dotted lower-case name");
        }
        assertThat(AuditEvent.of("admin.queue.create").build().type()).isEqualTo("admin.queue.create");
    }

    @Test
    void shouldRefuseADecisionOtherThanAllowOrDeny() {
        assertThatThrownBy(() -> AuditEvent.of("authz.deny").decision("DENY").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'allow' or 'deny'");
    }

    @Test
    void shouldCutLongTextAndMarkIt() {
        String longName = "a".repeat(AuditEvent.MAX_TEXT + 100);
        String cut = AuditEvent.of("auth.failure").principal(longName).build().principal();

        assertThat(cut).hasSize(AuditEvent.MAX_TEXT + AuditEvent.TRUNCATED.length()).endsWith(AuditEvent.TRUNCATED);
    }

    @Test
    void shouldNeverCutASurrogatePairInHalfAndReplaceUnpairedOnes() {
        String emoji = "\uD83D\uDE00";
        String text = "a".repeat(AuditEvent.MAX_TEXT - 1) + emoji;
        assertThat(AuditEvent.clean(text)).isEqualTo("a".repeat(AuditEvent.MAX_TEXT - 1) + AuditEvent.TRUNCATED);
        assertThat(AuditEvent.clean("x\uD800y" + emoji + "\uDC00")).isEqualTo("x\uFFFDy" + emoji + "\uFFFD");
        assertThat(AuditEvent.clean("plain")).isSameAs("plain");
    }

    @Test
    void shouldRefuseDetailsOfOtherKindsOrBadKeys() {
        assertThatThrownBy(() -> AuditEvent.of("x").detail("list", java.util.List.of(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be a string");
        assertThatThrownBy(() -> AuditEvent.of("x").detail("nan", Double.NaN).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AuditEvent.of("x").detail("bad key", 1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("detail key");
        Map<String, Object> many = new HashMap<>();
        for (int i = 0; i <= AuditEvent.MAX_DETAILS; i++) {
            many.put("k" + i, i);
        }
        assertThatThrownBy(() -> new AuditEvent("x", null, null, null, null, null, null, null, null, null, many))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 32 details");
    }

    @Test
    void shouldFingerprintAsTheFirst16HexCharactersOfSha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assertThat(AuditEvent.fingerprint("abc")).isEqualTo("ba7816bf8f01cfea");
        assertThat(AuditEvent.fingerprint(new byte[] {'a', 'b', 'c'})).isEqualTo("ba7816bf8f01cfea");
    }
}
