package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.audit.AuditSettings;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;

/** The audit log check: verification with the configured key, a running broker's tail, keys and a missing log. */
class AuditLogCheckTest {

    @TempDir
    Path tmp;
    Path data;
    BrokerConfig config;
    final AuditLogCheck check = new AuditLogCheck();

    @BeforeEach
    void init() throws Exception {
        data = CheckFixture.init(tmp);
        config = CheckFixture.config(data);
    }

    @Test
    void shouldSayThereIsNoLogYetBeforeTheFirstStart() throws Exception {
        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.INFO);
            assertThat(f.id()).isEqualTo("audit-log-missing");
            assertThat(f.finding()).contains("has not run");
        });
    }

    @Test
    void shouldRateAMissingLogHighOnceTheBrokerHasRun() throws Exception {
        Files.createDirectories(config.storeDir());

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("audit-log-missing");
        });
    }

    @Test
    void shouldVerifyAnIntactLog() throws Exception {
        CheckFixture.audit(config, Instant.now(), CheckFixture.login("admin"));

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.INFO);
            assertThat(f.id()).isEqualTo("audit-log-verified");
        });
    }

    @Test
    void shouldAcceptTheUnsignedTailOfARunningBrokerAsAWarning() throws Exception {
        AuditSettings settings = AuditSettings.of(config.audit().dir(), AuditKeys.loadPrivate(config.audit().privateKey()));
        try (AuditLog log = AuditLog.open(settings, Clock.systemUTC())) {
            log.append(CheckFixture.login("admin")).join();

            List<Finding> findings = check.run(CheckFixture.context(config));

            assertThat(findings).noneMatch(f -> f.severity() == Severity.HIGH);
            assertThat(findings).extracting(Finding::id).contains("audit-log-verified", "audit-log-warning");
        }
    }

    @Test
    void shouldRateTheUnsignedTailOfAStoppedBrokerHighWithTheFixThatSealsIt() throws Exception {
        CheckFixture.audit(config, Instant.now(), CheckFixture.login("admin"), CheckFixture.login("alice"));
        Path file = config.audit().dir().resolve("audit-000001.jsonl");
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.subList(0, lines.size() - 1)); // killed before its final checkpoint

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("audit-log-unsealed");
            assertThat(f.finding()).contains("no broker is writing the audit log").contains("UNSIGNED_TAIL");
            assertThat(f.fix()).startsWith("start the broker: it seals the tail with a recovery checkpoint");
        });
    }

    @Test
    void shouldRateEntriesSignedByARecoveryCheckpointMedium() throws Exception {
        CheckFixture.audit(config, Instant.now(), CheckFixture.login("admin"), CheckFixture.login("alice"));
        Path file = config.audit().dir().resolve("audit-000001.jsonl");
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.subList(0, lines.size() - 1)); // killed before its final checkpoint
        CheckFixture.audit(config, Instant.now(), CheckFixture.login("bob")); // the next start seals seq 1-2

        List<Finding> findings = check.run(CheckFixture.context(config));
        assertThat(findings).noneMatch(f -> f.severity() == Severity.HIGH);
        assertThat(CheckFixture.withId(findings, "audit-log-signed-late")).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
            assertThat(f.subject()).isEqualTo(file.toString());
            assertThat(f.finding()).contains("seq 3: entries 1-2 (2 entries) were signed by the recovery checkpoint");
        });
    }

    @Test
    void shouldRateATamperedLogHigh() throws Exception {
        CheckFixture.audit(config, Instant.now(), CheckFixture.login("admin"), CheckFixture.login("alice"));
        Path file = config.audit().dir().resolve("audit-000001.jsonl");
        Files.writeString(file, Files.readString(file).replace("alice", "bobby"));

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("audit-log-invalid");
            assertThat(f.subject()).isEqualTo(file.toString());
            assertThat(f.finding()).contains("EDITED");
        });
    }

    @Test
    void shouldRateAMissingPublicKeyHigh() throws Exception {
        Files.delete(data.resolve(Layout.AUDIT_PUBLIC_KEY));

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("audit-key-missing");
            assertThat(f.fix()).startsWith("openssl pkey -in " + config.audit().privateKey());
        });
    }

    @Test
    void shouldRateASigningKeyThatIsNotThePublicKeysHalfHigh() throws Exception {
        Path otherPublic = tmp.resolve("other.pub");
        AuditKeys.create(otherPublic, tmp.resolve("other.key"), CheckFixture.RANDOM);
        Files.copy(otherPublic, data.resolve(Layout.AUDIT_PUBLIC_KEY), StandardCopyOption.REPLACE_EXISTING);

        assertThat(CheckFixture.withId(check.run(CheckFixture.context(config)), "audit-key-mismatch")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.HIGH));
    }
}
