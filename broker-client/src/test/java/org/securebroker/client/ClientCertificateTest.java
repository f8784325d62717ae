package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securebroker.client.fake.FakeBroker;
import org.securebroker.client.fake.TestPki;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AuthFrame;

/** Mutual TLS: the client certificate is presented in the handshake, and alone authenticates with EXTERNAL. */
class ClientCertificateTest extends ClientTestSupport {

    private static final TestPki CLIENT_CA = TestPki.create("Client CA");

    private FakeBroker mtlsBroker() {
        return closeLater(FakeBroker.startRequiringClientCertificates(SERVER, CLIENT_CA.caCertificate()));
    }

    private static BrokerClientBuilder builderFor(FakeBroker target, TestPki.ClientIdentity identity) {
        return BrokerClient.builder()
                .address("127.0.0.1", target.port())
                .trustedCertificates(caPem)
                .clientCertificate(identity.writeCertificatePem(tempDir), identity.writeKeyPem(tempDir))
                .connectTimeout(Duration.ofSeconds(5));
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void shouldAuthenticateWithExternalWhenOnlyAClientCertificateIsConfigured(TlsProvider provider) {
        FakeBroker mtls = mtlsBroker();
        TestPki.ClientIdentity identity = CLIENT_CA.issueClient("svc-orders", "EC");

        BrokerClient client = connect(builderFor(mtls, identity).tlsProvider(provider));

        assertThat(client.principal()).isEqualTo("svc-orders");
        assertThat(mtls.clientCertificates()).containsExactly(identity.certificate());
        assertThat(mtls.authFrames()).singleElement().satisfies(auth -> {
            assertThat(auth.mechanism()).isEqualTo("EXTERNAL");
            assertThat(auth.initialResponse().isEmpty()).isTrue();
        });
    }

    @Test
    void shouldPresentAnRsaClientCertificate() {
        FakeBroker mtls = mtlsBroker();
        TestPki.ClientIdentity identity = CLIENT_CA.issueClient("svc-rsa", "RSA");

        BrokerClient client = connect(builderFor(mtls, identity));

        assertThat(client.principal()).isEqualTo("svc-rsa");
        assertThat(mtls.clientCertificates()).containsExactly(identity.certificate());
    }

    @Test
    void shouldPresentTheCertificateAlsoWhenAuthenticatingWithAPassword() {
        FakeBroker mtls = mtlsBroker();
        mtls.mechanisms("PLAIN", "EXTERNAL");
        TestPki.ClientIdentity identity = CLIENT_CA.issueClient("svc-orders", "EC");

        BrokerClient client = connect(builderFor(mtls, identity).credentials("alice", "s3cret".toCharArray()));

        assertThat(client.principal()).isEqualTo("alice");
        assertThat(mtls.clientCertificates()).containsExactly(identity.certificate());
        assertThat(mtls.authFrames()).extracting(AuthFrame::mechanism).containsExactly("PLAIN");
    }

    @Test
    void shouldAuthenticateWithExternalAgainAfterReconnecting() {
        FakeBroker mtls = mtlsBroker();
        connect(builderFor(mtls, CLIENT_CA.issueClient("svc-orders", "EC"))
                .reconnect(ReconnectPolicy.exponentialBackoff(Duration.ofMillis(10),
                        Duration.ofMillis(50))));

        mtls.dropConnections();

        eventually(() -> mtls.authenticatedConnections() == 2);
        assertThat(mtls.authFrames()).extracting(AuthFrame::mechanism).containsExactly("EXTERNAL", "EXTERNAL");
    }

    @Test
    void shouldFailWithUnsupportedMechanismWhenTheBrokerDoesNotOfferExternal() {
        TestPki.ClientIdentity identity = CLIENT_CA.issueClient("svc-orders", "EC");

        assertThatThrownBy(() -> builderFor(broker, identity).connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.UNSUPPORTED_MECHANISM);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("EXTERNAL");
                });
    }

    @Test
    void shouldRequireCredentialsATokenSupplierOrACertificateAtConnect() {
        assertThatThrownBy(() -> builderWithoutCredentials().connect())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("credentials: none configured")
                .hasMessageContaining("tokenSupplier")
                .hasMessageContaining("clientCertificate");
        assertThat(broker.hellos()).isEmpty();
    }

    @Test
    void shouldReportAPrivateKeyThatDoesNotBelongToTheCertificate() {
        TestPki.ClientIdentity identity = CLIENT_CA.issueClient("svc-orders", "EC");
        Path otherKey = CLIENT_CA.issueClient("someone-else", "EC").writeKeyPem(tempDir);

        assertThatThrownBy(() -> BrokerClient.builder().address("127.0.0.1", broker.port())
                .trustedCertificates(caPem)
                .clientCertificate(identity.writeCertificatePem(tempDir), otherKey)
                .connect())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clientCertificate:")
                .hasMessageContaining("does not belong to the certificate");
    }
}
