package org.securebroker.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.ClientAuth;
import org.securebroker.server.config.TlsProvider;

class TlsMaterialTest {

    @TempDir
    Path dir;
    TestPki pki;
    Clock clock;

    @BeforeEach
    void createPki() {
        pki = TestPki.create(dir);
        clock = Clock.fixed(pki.now(), ZoneOffset.UTC);
    }

    private TlsMaterial load() {
        return TlsMaterial.load(pki.tlsConfig(ClientAuth.REQUIRED, TlsProvider.JDK), clock);
    }

    private static void replace(Path target, Path with) throws Exception {
        Files.copy(with, target, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Asserts that a reload fails with {@code message} and that the material in force did not change. */
    private static void assertReloadRefused(TlsMaterial material, Path file, String message) {
        SslContext before = material.context();
        assertThatThrownBy(material::reload)
                .isInstanceOf(TlsMaterialException.class)
                .hasMessage(message)
                .satisfies(e -> assertThat(((TlsMaterialException) e).file()).isEqualTo(file));
        assertThat(material.context()).isSameAs(before);
    }

    @Test
    void shouldLoadTheServerCertificateClientCaAndCrl() {
        TlsMaterial material = load();
        assertThat(material.serverCertificate()).isEqualTo(pki.server().certificate());
        assertThat(material.context().isServer()).isTrue();
        assertThat(material.clientVerifier()).hasValueSatisfying(v -> {
            assertThat(v.clientCas()).containsExactly(pki.caCertificate());
            assertThat(v.crls()).containsExactly(pki.crl());
        });
        assertThat(material.principalMapper().principal(pki.good().certificate())).contains("alice");
    }

    @Test
    void shouldLogWhatWasLoadedButNoKeyMaterial() throws Exception {
        try (LogCapture log = LogCapture.of(TlsMaterial.class)) {
            load();
            assertThat(log.messages(Level.INFO)).singleElement().asString()
                    .contains("server certificate CN=localhost").contains("valid until")
                    .contains("client certificates required").contains("1 revoked")
                    .doesNotContain("PRIVATE KEY");
        }
        String key = Files.readString(pki.server().keyFile());
        String base64 = key.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        try (LogCapture log = LogCapture.of(TlsMaterial.class)) {
            load().reload();
            assertThat(String.join("\n", log.messages(Level.INFO))).doesNotContain(base64.substring(0, 20));
        }
    }

    @Test
    void shouldInstallANewServerCertificateOnReload() throws Exception {
        TlsMaterial material = load();
        SslContext before = material.context();
        TestPki.Credential renewed = pki.server("renewed", "localhost", Duration.ofDays(90));
        replace(pki.server().certFile(), renewed.certFile());
        replace(pki.server().keyFile(), renewed.keyFile());

        material.reload();

        assertThat(material.serverCertificate()).isEqualTo(renewed.certificate());
        assertThat(material.context()).isNotSameAs(before);
    }

    @Test
    void shouldRefuseAFileWithoutCertificatesAndKeepTheOldMaterial() throws Exception {
        TlsMaterial material = load();
        Path cert = pki.server().certFile();
        Files.writeString(cert, "this is not a certificate\n");
        assertReloadRefused(material, cert, "tls.certificate " + cert + ": holds no PEM certificate (expected "
                + "'-----BEGIN CERTIFICATE-----')");
        assertThat(material.serverCertificate()).isEqualTo(pki.server().certificate());
    }

    @Test
    void shouldRefuseCorruptPem() throws Exception {
        TlsMaterial material = load();
        Path cert = pki.server().certFile();
        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(material::reload).hasMessageStartingWith("tls.certificate " + cert + ": is not valid PEM");
    }

    @Test
    void shouldRefuseAKeyThatDoesNotBelongToTheCertificate() throws Exception {
        TlsMaterial material = load();
        Path key = pki.server().keyFile();
        replace(key, pki.good().keyFile());
        assertReloadRefused(material, key, "tls.privateKey " + key + ": the private key does not belong to the "
                + "certificate CN=localhost (the first one in tls.certificate " + pki.server().certFile() + ")");
    }

    @Test
    void shouldRefuseAMissingFile() throws Exception {
        TlsMaterial material = load();
        Path key = pki.server().keyFile();
        Files.delete(key);
        assertReloadRefused(material, key, "tls.privateKey " + key + ": does not exist");
    }

    @Test
    void shouldRefuseACertificateInTheKeyFile() throws Exception {
        TlsMaterial material = load();
        Path key = pki.server().keyFile();
        replace(key, pki.caFile());
        assertReloadRefused(material, key, "tls.privateKey " + key + ": holds no PEM private key (expected "
                + "'-----BEGIN PRIVATE KEY-----'; found [a certificate])");
    }

    @Test
    void shouldRefuseAnExpiredServerCertificate() throws Exception {
        TlsMaterial material = load();
        TestPki.Credential old = pki.server("old", pki.now().minus(Duration.ofDays(60)), pki.now().minus(Duration.ofDays(1)));
        replace(pki.server().certFile(), old.certFile());
        replace(pki.server().keyFile(), old.keyFile());
        assertThatThrownBy(material::reload).hasMessage("tls.certificate " + pki.server().certFile()
                + ": the certificate CN=localhost expired on " + old.certificate().getNotAfter().toInstant());
    }

    @Test
    void shouldRefuseAClientCertificateAsServerCertificate() throws Exception {
        TlsMaterial material = load();
        replace(pki.server().certFile(), pki.good().certFile());
        replace(pki.server().keyFile(), pki.good().keyFile());
        assertThatThrownBy(material::reload).hasMessageContaining("lacks the serverAuth extended key usage");
    }

    @Test
    void shouldRefuseACrlOfAnotherCa() {
        TlsMaterial material = load();
        pki.writeUntrustedCrl(pki.crlFile(), pki.good().certificate());
        assertThatThrownBy(material::reload)
                .isInstanceOf(TlsMaterialException.class)
                .hasMessageStartingWith("tls.crl " + pki.crlFile() + ": the CRL of CN=Untrusted CA,O=elsewhere is not "
                        + "signed by the configured client CA")
                .hasMessageContaining("tls.clientCa " + pki.caFile());
        assertThat(material.clientVerifier().orElseThrow().crls()).containsExactly(pki.crl());
    }

    @Test
    void shouldRefuseAClientCaThatIsNotACa() throws Exception {
        TlsMaterial material = load();
        Files.copy(pki.good().certFile(), pki.caFile(), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(material::reload).hasMessageStartingWith("tls.clientCa " + pki.caFile()
                + ": certificate CN=alice is not a CA certificate");
    }

    @Test
    void shouldFailToLoadNamingTheFile() throws Exception {
        Files.delete(pki.crlFile());
        assertThatThrownBy(this::load)
                .isInstanceOf(TlsMaterialException.class)
                .hasMessage("tls.crl " + pki.crlFile() + ": does not exist");
    }

    @Test
    void shouldNotReadClientCaOrCrlWhenClientCertificatesAreOff() throws Exception {
        Files.delete(pki.crlFile());
        Files.delete(pki.caFile());
        TlsMaterial material = TlsMaterial.load(pki.tlsConfig(ClientAuth.NONE, TlsProvider.JDK), clock);
        assertThat(material.clientVerifier()).isEmpty();
        assertThat(material.reloadIfChanged()).isFalse();
    }

    @Test
    void shouldLoadAStaleCrlWithAWarning() {
        pki.writeCrl(pki.crlFile(), pki.now().minus(Duration.ofDays(10)), pki.now().minus(Duration.ofDays(3)),
                pki.revoked().certificate());
        try (LogCapture log = LogCapture.of(TlsMaterial.class)) {
            TlsMaterial material = load();
            assertThat(log.messages(Level.WARN)).singleElement().asString().contains("is stale");
            assertThatThrownBy(() -> material.clientVerifier().orElseThrow()
                    .checkClientTrusted(pki.revoked().chain(), "UNKNOWN"))
                    .isInstanceOf(CertificateException.class).hasMessageContaining("revoked on");
        }
    }

    @Test
    void shouldReloadOnlyWhenAFileChanged() throws Exception {
        TlsMaterial material = load();
        assertThat(material.reloadIfChanged()).isFalse();
        assertThat(material.reloadIfChanged()).isFalse();

        pki.writeCrl(pki.crlFile(), pki.now(), pki.now().plus(Duration.ofDays(7)), pki.revoked().certificate(),
                pki.good().certificate());

        assertThat(material.reloadIfChanged()).isTrue();
        assertThatThrownBy(() -> material.clientVerifier().orElseThrow().checkClientTrusted(pki.good().chain(), "UNKNOWN"))
                .hasMessageContaining("CN=alice: revoked on");
        assertThat(material.reloadIfChanged()).isFalse();
    }

    @Test
    void shouldDetectAChangeOfContentAlone() throws Exception {
        TlsMaterial material = load();
        Path ca = pki.caFile();
        var modified = Files.getLastModifiedTime(ca);
        String pem = Files.readString(ca);
        // same size, same modification time, different bytes: only the hash tells
        Files.writeString(ca, pem.replace("-----END CERTIFICATE-----", "-----END CERTIFICATE=----"));
        Files.setLastModifiedTime(ca, modified);
        try (LogCapture log = LogCapture.of(TlsMaterial.class)) {
            assertThat(material.reloadIfChanged()).isFalse();
            assertThat(log.messages(Level.ERROR)).hasSize(1);
        }
    }

    @Test
    void shouldReportABadFileOnceAndKeepPolling() throws Exception {
        TlsMaterial material = load();
        SslContext before = material.context();
        Path cert = pki.server().certFile();
        byte[] good = Files.readAllBytes(cert);
        try (LogCapture log = LogCapture.of(TlsMaterial.class)) {
            Files.writeString(cert, "garbage");
            for (int i = 0; i < 5; i++) {
                assertThat(material.reloadIfChanged()).isFalse();
            }
            assertThat(log.messages(Level.ERROR)).singleElement().asString()
                    .contains("the TLS material in force stays").contains("tls.certificate " + cert);

            Files.writeString(cert, "other garbage");
            assertThat(material.reloadIfChanged()).isFalse();
            assertThat(log.messages(Level.ERROR)).as("a new bad version is reported again").hasSize(2);

            assertThat(material.context()).isSameAs(before);
            Files.write(cert, good);
            assertThat(material.reloadIfChanged()).as("the file changed again (its modification time)").isTrue();

            TestPki.Credential renewed = pki.server("renewed", "localhost", Duration.ofDays(90));
            replace(pki.server().keyFile(), renewed.keyFile());
            replace(cert, renewed.certFile());
            assertThat(material.reloadIfChanged()).isTrue();
            assertThat(material.serverCertificate()).isEqualTo(renewed.certificate());
            assertThat(log.messages(Level.ERROR)).hasSize(2);
        }
    }

    @Test
    void shouldNotReportAgainAfterAFailedExplicitReload() throws Exception {
        TlsMaterial material = load();
        Files.writeString(pki.server().keyFile(), "garbage");
        assertThatThrownBy(material::reload).isInstanceOf(TlsMaterialException.class);
        try (LogCapture log = LogCapture.of(TlsMaterial.class)) {
            assertThat(material.reloadIfChanged()).isFalse();
            assertThat(log.messages(Level.ERROR)).isEmpty();
        }
    }

    @Test
    void shouldBuildWithBothProviders() {
        assertThatCode(() -> TlsMaterial.load(pki.tlsConfig(ClientAuth.OPTIONAL, TlsProvider.JDK), clock))
                .doesNotThrowAnyException();
        if (io.netty.handler.ssl.OpenSsl.isAvailable()) {
            TlsMaterial material = TlsMaterial.load(pki.tlsConfig(ClientAuth.OPTIONAL, TlsProvider.OPENSSL), clock);
            assertThat(material.context().getClass().getSimpleName()).contains("OpenSsl");
        }
    }

    @Test
    void shouldTellWhichSettingIsMissing() {
        BrokerConfig.Tls tls = pki.tlsConfig(ClientAuth.REQUIRED, TlsProvider.JDK);
        BrokerConfig.Tls noCa = new BrokerConfig.Tls(tls.certificate(), tls.privateKey(), tls.provider(), tls.clientAuth(),
                null, null, tls.principalMapping());
        assertThatThrownBy(() -> TlsMaterial.load(noCa, clock)).hasMessageContaining("tls.clientCa is not set");
    }
}
