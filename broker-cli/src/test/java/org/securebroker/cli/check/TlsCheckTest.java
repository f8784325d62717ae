package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;
import org.securebroker.server.tls.LocalCa;

/** The TLS check: certificate validity and expiry, the key pair, the client CA and the CRL. */
class TlsCheckTest {

    @TempDir
    Path tmp;
    Path data;
    BrokerConfig config;
    final TlsCheck check = new TlsCheck();

    @BeforeEach
    void init() throws Exception {
        data = CheckFixture.init(tmp);
        config = CheckFixture.config(data);
    }

    private LocalCa ca() throws Exception {
        return LocalCa.load(data.resolve(Layout.TLS_DIR), CheckFixture.RANDOM, Clock.systemUTC());
    }

    private void issueServer(Duration validity, Path cert, Path key) throws Exception {
        ca().issueServer("securebroker", List.of("localhost"), List.of("127.0.0.1"), validity, cert, key);
    }

    @Test
    void shouldOnlySayThatProtocolsAreFixedForTheMaterialInitCreated() throws Exception {
        List<Finding> findings = check.run(CheckFixture.context(config));

        assertThat(findings).extracting(Finding::id).containsExactly("tls-protocols-fixed");
        assertThat(findings.get(0).severity()).isEqualTo(Severity.INFO);
        assertThat(findings.get(0).finding()).contains("TLSv1.3 and TLSv1.2");
    }

    @Test
    void shouldRateACertificateExpiringWithinTheWarningWindowMedium() throws Exception {
        issueServer(Duration.ofDays(10), data.resolve(Layout.SERVER_CERT), data.resolve(Layout.SERVER_KEY));

        List<Finding> expiry = CheckFixture.withId(check.run(CheckFixture.context(config)), "tls-certificate-expiry");

        assertThat(expiry).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
            assertThat(f.subject()).contains(data.resolve(Layout.SERVER_CERT).toString()).contains("CN=securebroker");
            assertThat(f.finding()).contains("the server certificate expires on").contains("in 9 days");
            assertThat(f.fix()).contains("broker reload");
        });
    }

    @Test
    void shouldHonourTheWarningWindow() throws Exception {
        issueServer(Duration.ofDays(10), data.resolve(Layout.SERVER_CERT), data.resolve(Layout.SERVER_KEY));
        Instant now = Instant.now();
        CheckContext context = new CheckContext(config, now, new CheckContext.Thresholds(Duration.ofDays(5),
                Duration.ofDays(365), Duration.ofDays(90), now), Map.of());

        assertThat(CheckFixture.withId(check.run(context), "tls-certificate-expiry")).isEmpty();
    }

    @Test
    void shouldRateACertificateExpiringWithinAWeekOrExpiredHigh() throws Exception {
        issueServer(Duration.ofDays(10), data.resolve(Layout.SERVER_CERT), data.resolve(Layout.SERVER_KEY));

        List<Finding> soon = check.run(CheckFixture.context(config, Instant.now().plus(Duration.ofDays(5))));
        List<Finding> expired = check.run(CheckFixture.context(config, Instant.now().plus(Duration.ofDays(11))));

        assertThat(CheckFixture.withId(soon, "tls-certificate-expiry")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.HIGH));
        assertThat(CheckFixture.withId(expired, "tls-certificate-expiry")).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.finding()).contains("expired on");
        });
    }

    @Test
    void shouldRateACertificateNotYetValidHigh() throws Exception {
        List<Finding> findings = check.run(CheckFixture.context(config, Instant.now().minus(Duration.ofDays(1))));

        assertThat(CheckFixture.withId(findings, "tls-certificate-not-yet-valid")).isNotEmpty()
                .allSatisfy(f -> assertThat(f.severity()).isEqualTo(Severity.HIGH));
    }

    @Test
    void shouldReportAKeyThatDoesNotBelongToTheCertificate() throws Exception {
        Path otherKey = tmp.resolve("other.key");
        issueServer(Duration.ofDays(100), tmp.resolve("other.crt"), otherKey);
        Files.copy(otherKey, data.resolve(Layout.SERVER_KEY), StandardCopyOption.REPLACE_EXISTING);

        List<Finding> findings = check.run(CheckFixture.context(config));

        assertThat(CheckFixture.withId(findings, "tls-key-mismatch")).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.subject()).isEqualTo(data.resolve(Layout.SERVER_KEY).toString());
        });
    }

    @Test
    void shouldReportAMissingCertificateHigh() throws Exception {
        Files.delete(data.resolve(Layout.SERVER_CERT));

        assertThat(CheckFixture.withId(check.run(CheckFixture.context(config)), "tls-certificate-unreadable"))
                .singleElement().satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.HIGH));
    }

    @Test
    void shouldCheckTheClientCaAndAStaleCrlWhenClientCertificatesAreOn() throws Exception {
        Path caFile = data.resolve(Layout.TLS_DIR).resolve(LocalCa.CA_CERT);
        Path crl = data.resolve(Layout.TLS_DIR).resolve(LocalCa.CA_CRL);
        ca().issueCrl(crl, Duration.ofDays(1));
        BrokerConfig.Tls tls = config.tls();
        BrokerConfig mutual = config.withTls(new BrokerConfig.Tls(tls.certificate(), tls.privateKey(), tls.provider(),
                BrokerConfig.ClientAuth.REQUIRED, caFile, crl, tls.principalMapping()));

        assertThat(check.run(CheckFixture.context(mutual))).extracting(Finding::id)
                .containsExactly("tls-protocols-fixed");
        List<Finding> later = check.run(CheckFixture.context(mutual, Instant.now().plus(Duration.ofDays(3))));
        assertThat(CheckFixture.withId(later, "tls-crl-stale")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.MEDIUM));
        List<Finding> nearCaExpiry = check.run(CheckFixture.context(mutual,
                Instant.now().plus(Duration.ofDays(3650 - 20))));
        assertThat(CheckFixture.withId(nearCaExpiry, "tls-client-ca-expiry")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.MEDIUM));
    }
}
