package org.securebroker.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientCertificateVerifierTest {

    private static final Instant NOW = Instant.parse("2030-06-01T12:00:00Z");

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void createPki() {
        pki = TestPki.create(dir, NOW);
    }

    private static ClientCertificateVerifier verifier(Instant at) {
        return new ClientCertificateVerifier(List.of(pki.caCertificate()), List.of(pki.crl()),
                Clock.fixed(at, ZoneOffset.UTC));
    }

    private static ClientCertificateVerifier verifier() {
        return verifier(NOW);
    }

    private static String refusal(TestPki.Credential credential) {
        return refusal(verifier(), credential.chain());
    }

    private static String refusal(ClientCertificateVerifier verifier, X509Certificate[] chain) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> verifier.checkClientTrusted(chain, "UNKNOWN"));
        assertThat(thrown).isInstanceOf(CertificateException.class);
        return thrown.getMessage();
    }

    @Test
    void shouldAcceptACertificateOfTheClientCaWithOrWithoutTheCaInTheChain() {
        assertThatCode(() -> verifier().checkClientTrusted(pki.good().chain(), "ECDHE_ECDSA")).doesNotThrowAnyException();
        assertThatCode(() -> verifier().checkClientTrusted(new X509Certificate[] {pki.good().certificate()}, "UNKNOWN"))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseAnExpiredCertificateSayingWhen() {
        assertThat(refusal(pki.expired())).isEqualTo("client certificate CN=expired: expired on "
                + pki.expired().certificate().getNotAfter().toInstant());
    }

    @Test
    void shouldRefuseACertificateThatIsNotYetValid() {
        assertThat(refusal(pki.notYetValid())).startsWith("client certificate CN=early: not yet valid (valid from "
                + pki.notYetValid().certificate().getNotBefore().toInstant());
    }

    @Test
    void shouldRefuseACertificateOfAnotherCa() {
        assertThat(refusal(pki.untrusted())).isEqualTo("client certificate CN=mallory: not issued by the configured "
                + "client CA (issuer CN=Untrusted CA,O=elsewhere)");
    }

    @Test
    void shouldRefuseACertificateOfACaThatOnlyCopiesTheClientCasName() {
        assertThat(refusal(pki.impostor())).startsWith("client certificate CN=alice: not issued by the configured client CA")
                .contains("the signature does not verify");
    }

    @Test
    void shouldRefuseACertificateWithoutExtendedKeyUsage() {
        assertThat(refusal(pki.noEku())).isEqualTo("client certificate CN=no-eku: lacks the clientAuth extended key "
                + "usage (it has no extended key usage extension)");
    }

    @Test
    void shouldRefuseAServerCertificate() {
        assertThat(refusal(pki.serverAuthOnly())).isEqualTo("client certificate CN=server-auth-only: lacks the "
                + "clientAuth extended key usage (it allows only serverAuth)");
    }

    @Test
    void shouldRefuseARevokedCertificateSayingWhenAndWhich() {
        X509Certificate revoked = pki.revoked().certificate();
        Instant revokedAt = pki.crl().getRevokedCertificate(revoked).getRevocationDate().toInstant();
        assertThat(refusal(pki.revoked())).isEqualTo("client certificate CN=revoked: revoked on " + revokedAt
                + " (serial " + revoked.getSerialNumber().toString(16) + ", reason KEY_COMPROMISE)");
    }

    @Test
    void shouldRefuseACaCertificatePresentedAsAClientCertificate() {
        assertThat(refusal(verifier(), new X509Certificate[] {pki.caCertificate()}))
                .endsWith(": is a CA certificate, not a client certificate");
    }

    @Test
    void shouldRefuseAnEmptyChain() {
        assertThat(refusal(verifier(), new X509Certificate[0])).isEqualTo("no client certificate was presented");
    }

    @Test
    void shouldJudgeValidityByTheInjectedClock() {
        Instant later = NOW.plus(Duration.ofDays(31));
        assertThat(refusal(verifier(later), pki.good().chain())).contains("CN=alice: expired on");
    }

    @Test
    void shouldStillEnforceAStaleCrlAndWarnOnce() {
        Instant afterNextUpdate = pki.crl().getNextUpdate().toInstant().plus(Duration.ofDays(1));
        ClientCertificateVerifier verifier = verifier(afterNextUpdate);
        try (LogCapture log = LogCapture.of(ClientCertificateVerifier.class)) {
            assertThat(refusal(verifier, pki.revoked().chain())).contains("revoked on");
            assertThatCode(() -> verifier.checkClientTrusted(pki.good().chain(), "UNKNOWN")).doesNotThrowAnyException();
            assertThatCode(() -> verifier.checkClientTrusted(pki.good().chain(), "UNKNOWN")).doesNotThrowAnyException();
            assertThat(log.messages(Level.WARN)).singleElement().asString().contains("is stale")
                    .contains("stay enforced");
        }
    }

    @Test
    void shouldLogEachRefusalAtInfoWithTheReason() {
        try (LogCapture log = LogCapture.of(ClientCertificateVerifier.class)) {
            refusal(pki.expired());
            assertThat(log.messages(Level.INFO)).singleElement().asString()
                    .startsWith("refused the client certificate: client certificate CN=expired: expired on");
        }
    }

    @Test
    void shouldOfferOnlyTheClientCaAsAcceptedIssuer() {
        assertThat(verifier().getAcceptedIssuers()).containsExactly(pki.caCertificate());
    }

    @Test
    void shouldRefuseACrlSignedByAnotherCa() {
        X509CRL foreign = pki.writeUntrustedCrl(dir.resolve("foreign.crl"), pki.good().certificate());
        assertThatThrownBy(() -> new ClientCertificateVerifier(List.of(pki.caCertificate()), List.of(foreign),
                Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not signed by the configured client CA");
    }

    @Test
    void shouldRefuseALeafCertificateAsClientCa() {
        assertThatThrownBy(() -> new ClientCertificateVerifier(List.of(pki.good().certificate()), List.of(),
                Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("certificate CN=alice is not a CA certificate (its basic constraints do not say cA=true); "
                        + "only CA certificates can be client CAs");
    }

    @Test
    void shouldNeverTrustTheSystemTrustStore() {
        // a certificate that chains to nothing configured is refused even though the JDK trusts public CAs
        assertThat(refusal(pki.untrusted())).contains("not issued by the configured client CA");
        assertThat(verifier().getAcceptedIssuers()).hasSize(1);
    }

    @Test
    void shouldMakeRemoteSuppliedNamesSafeToLog() {
        assertThat(ClientCertificateVerifier.safe("CN=evil\nINFO forged line\u0000"))
                .isEqualTo("CN=evil\\u000aINFO forged line\\u0000");
        assertThat(ClientCertificateVerifier.safe("x".repeat(500))).startsWith("x".repeat(200) + "...")
                .endsWith("(500 characters)");
    }
}
