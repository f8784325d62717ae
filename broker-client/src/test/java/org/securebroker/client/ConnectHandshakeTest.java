package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.HelloFrame;

class ConnectHandshakeTest extends ClientTestSupport {

    @Test
    void shouldSendHelloWithVersionsOneToTwoDefaultFrameSizeAndClientId() {
        connect();

        assertThat(broker.hellos()).hasSize(1);
        HelloFrame hello = broker.hellos().get(0);
        assertThat(hello.minVersion()).isEqualTo(1);
        assertThat(hello.maxVersion()).isEqualTo(2);
        assertThat(hello.maxFrameSize()).isEqualTo(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
        assertThat(hello.clientId()).isEqualTo("client-tests");
    }

    @Test
    void shouldAuthenticateWithPlainInitialResponseOfEmptyAuthzidUsernameAndPassword() {
        connect();

        assertThat(broker.authResponses()).hasSize(1);
        assertThat(broker.authResponses().get(0))
                .isEqualTo("\0alice\0s3cret".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldExposePrincipalAndRandomProducerId() {
        BrokerClient first = connect();
        BrokerClient second = connect();

        assertThat(first.principal()).isEqualTo("alice");
        assertThat(first.producerId()).matches("p-[0-9a-f]{16}");
        assertThat(second.producerId()).isNotEqualTo(first.producerId());
    }

    @Test
    void shouldFailConnectWithNonRetriableAuthenticationFailedOnWrongPassword() {
        BrokerClientBuilder builder = builder().credentials("alice", "wrong".toCharArray());

        assertThatThrownBy(builder::connect)
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).doesNotContain("wrong");
                });
        assertThat(broker.authenticatedConnections()).isZero();
    }

    @Test
    void shouldFailConnectWithUnsupportedMechanismWhenNoPasswordMechanismIsOffered() {
        broker.mechanisms("JWT", "EXTERNAL");

        assertThatThrownBy(() -> builder().connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.UNSUPPORTED_MECHANISM);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("[JWT, EXTERNAL]");
                });
        assertThat(broker.authResponses()).isEmpty();
    }

    @Test
    void shouldFailConnectWithTheCodeOfAnErrorAnsweringHello() {
        broker.answerHelloWith(ErrorFrame.of(0, ErrorCode.UNSUPPORTED_VERSION));

        assertThatThrownBy(() -> builder().connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.UNSUPPORTED_VERSION);
                    assertThat(e.retriable()).isFalse();
                });
    }

    @Test
    void shouldFailConnectWithAnUnknownHandshakeErrorCodeKeptAsANumber() {
        broker.answerHelloWith(new ErrorFrame(0, 4242, "newer broker"));

        assertThatThrownBy(() -> builder().connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).isEmpty();
                    assertThat(e.rawCode()).isEqualTo(4242);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("newer broker");
                });
    }

    @Test
    void shouldTryTheNextAddressWhenTheFirstRefusesConnections() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        BrokerClient client = connect(BrokerClient.builder()
                .address("127.0.0.1", closedPort)
                .address("127.0.0.1", broker.port())
                .trustedCertificates(caPem)
                .credentials("alice", "s3cret".toCharArray()));

        assertThat(client.principal()).isEqualTo("alice");
    }

    @Test
    void shouldReportConnectionLostWhenNoAddressAcceptsConnections() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        BrokerClientBuilder builder = BrokerClient.builder()
                .address("127.0.0.1", closedPort)
                .trustedCertificates(caPem)
                .credentials("alice", "s3cret".toCharArray());

        assertThatThrownBy(builder::connect)
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.CONNECTION_LOST);
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).contains("127.0.0.1:" + closedPort);
                });
    }

    @Test
    void shouldReportAHostNameThatDoesNotResolve() {
        BrokerClientBuilder builder = BrokerClient.builder()
                .address("no-such-host.invalid", 7443)
                .trustedCertificates(caPem)
                .credentials("alice", "s3cret".toCharArray());

        assertThatThrownBy(builder::connect)
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.CONNECTION_LOST);
                    assertThat(e.getMessage()).contains("cannot resolve no-such-host.invalid");
                });
    }

    @Test
    void shouldListEveryConfigurationProblemAtOnce() throws Exception {
        Path empty = Files.createTempFile(tempDir, "empty", ".pem");

        assertThatThrownBy(() -> BrokerClient.builder().trustedCertificates(empty).connect())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("address:")
                .hasMessageContaining("contains no certificate")
                .hasMessageContaining("credentials:");
    }

    @Test
    void shouldRequireTrustedCertificatesInsteadOfFallingBackToTheSystemTrustStore() {
        assertThatThrownBy(() -> BrokerClient.builder().address("127.0.0.1", broker.port())
                .credentials("alice", "s3cret".toCharArray()).connect())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trustedCertificates");
    }

    @Test
    void shouldCopyThePasswordSoTheCallerMayWipeItsArray() {
        char[] password = "s3cret".toCharArray();
        BrokerClientBuilder builder = builder().credentials("alice", password);
        java.util.Arrays.fill(password, 'x');

        BrokerClient client = connect(builder);

        assertThat(client.principal()).isEqualTo("alice");
    }
}
