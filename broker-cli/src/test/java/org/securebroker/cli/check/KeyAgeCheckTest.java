package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;

/** The key age check: the KEK by the day its id records, the audit and development keys by their files. */
class KeyAgeCheckTest {

    @TempDir
    Path tmp;
    Path data;
    BrokerConfig config;
    final KeyAgeCheck check = new KeyAgeCheck();

    @BeforeEach
    void init() throws Exception {
        data = CheckFixture.init(tmp);
        config = CheckFixture.config(data);
    }

    @Test
    void shouldFindNothingForFreshKeys() throws Exception {
        assertThat(check.run(CheckFixture.context(config))).isEmpty();
    }

    @Test
    void shouldRateEveryKeyOlderThanTheRotationPeriodMedium() throws Exception {
        List<Finding> findings = check.run(CheckFixture.context(config, Instant.now().plus(Duration.ofDays(400))));

        assertThat(findings).extracting(Finding::subject).containsExactly(data.resolve(Layout.KEK_FILE).toString(),
                data.resolve(Layout.AUDIT_PRIVATE_KEY).toString(), data.resolve(Layout.SIGNING_PRIVATE_KEY).toString(),
                data.resolve(Layout.JWT_DEV_PRIVATE_KEY).toString());
        assertThat(findings).allSatisfy(f -> {
            assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
            assertThat(f.id()).isEqualTo("key-age");
            assertThat(f.finding()).contains("rotation period 365 days");
        });
        assertThat(findings.get(0).finding()).contains("current key-encryption key 'kek-");
        assertThat(findings.get(1).fix()).contains("broker keys rotate audit");
        assertThat(findings.get(2).fix()).contains("broker keys rotate signing");
    }

    @Test
    void shouldJudgeFileKeysByTheirModificationTime() throws Exception {
        Path auditKey = data.resolve(Layout.AUDIT_PRIVATE_KEY);
        Files.setLastModifiedTime(auditKey, FileTime.from(Instant.now().minus(Duration.ofDays(366))));

        assertThat(check.run(CheckFixture.context(config))).extracting(Finding::subject)
                .containsExactly(auditKey.toString());
    }

    @Test
    void shouldUseTheConfiguredRotationPeriod() throws Exception {
        Instant now = Instant.now().plus(Duration.ofDays(20));
        CheckContext tenDays = new CheckContext(config, now, new CheckContext.Thresholds(Duration.ofDays(30),
                Duration.ofDays(10), Duration.ofDays(90), now), Map.of());
        CheckContext thirtyDays = new CheckContext(config, now, new CheckContext.Thresholds(Duration.ofDays(30),
                Duration.ofDays(30), Duration.ofDays(90), now), Map.of());

        assertThat(check.run(tenDays)).hasSize(4);
        assertThat(check.run(thirtyDays)).isEmpty();
    }

    @Test
    void shouldReadTheKekFromTheEnvironmentOrSayItCouldNot() throws Exception {
        BrokerConfig fromEnvironment = config.withKeys(new BrokerConfig.Keys(null, "BROKER_KEK"));
        Instant now = Instant.now();
        String key = Base64.getEncoder().encodeToString(new byte[32]);

        List<Finding> unset = check.run(CheckFixture.context(fromEnvironment));
        List<Finding> old = check.run(new CheckContext(fromEnvironment, now, CheckContext.Thresholds.defaults(now),
                Map.of("BROKER_KEK", "current = kek-20200101-a1b2c3; kek-20200101-a1b2c3 = " + key)));
        List<Finding> unknownForm = check.run(new CheckContext(fromEnvironment, now,
                CheckContext.Thresholds.defaults(now), Map.of("BROKER_KEK", "current = k1; k1 = " + key)));

        assertThat(unset).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.INFO);
            assertThat(f.id()).isEqualTo("key-age-unknown");
        });
        assertThat(old).singleElement().satisfies(f -> {
            assertThat(f.id()).isEqualTo("key-age");
            assertThat(f.subject()).isEqualTo("environment variable BROKER_KEK");
            assertThat(f.finding()).contains("created on 2020-01-01");
        });
        assertThat(unknownForm).extracting(Finding::id).containsExactly("key-age-unknown");
    }
}
