package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securebroker.client.fake.FakeBroker;
import org.securebroker.client.fake.TestPki;
import org.securebroker.protocol.ErrorCode;

/** Server authentication must hold with both TLS implementations the client may pick. */
class TlsVerificationTest extends ClientTestSupport {

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void shouldConnectToACertificateIssuedByTheTrustedCaForTheAddressedIp(TlsProvider provider) {
        BrokerClient client = connect(builder().tlsProvider(provider));

        assertThat(client.principal()).isEqualTo("alice");
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void shouldConnectByAHostNameThatTheCertificateNames(TlsProvider provider) {
        BrokerClient client = connect(BrokerClient.builder()
                .address("localhost", broker.port())
                .trustedCertificates(caPem)
                .credentials("alice", "s3cret".toCharArray())
                .tlsProvider(provider));

        assertThat(client.principal()).isEqualTo("alice");
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void shouldRefuseACertificateFromAnUntrustedCa(TlsProvider provider) {
        Path otherCa = TestPki.create("Other CA").writeCaPem(tempDir);
        BrokerClientBuilder builder = BrokerClient.builder()
                .address("127.0.0.1", broker.port())
                .trustedCertificates(otherCa)
                .credentials("alice", "s3cret".toCharArray())
                .tlsProvider(provider);

        assertThatThrownBy(builder::connect)
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.CONNECTION_LOST);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("TLS handshake");
                    assertThat(causes(e)).hasAtLeastOneElementOfType(SSLException.class);
                });
        assertThat(broker.hellos()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void shouldRefuseACertificateIssuedForAnotherHost(TlsProvider provider) {
        try (FakeBroker elsewhere = FakeBroker.start(PKI.issueServer("other.example"))) {
            BrokerClientBuilder builder = BrokerClient.builder()
                    .address("127.0.0.1", elsewhere.port())
                    .trustedCertificates(caPem)
                    .credentials("alice", "s3cret".toCharArray())
                    .tlsProvider(provider);

            assertThatThrownBy(builder::connect)
                    .isInstanceOfSatisfying(BrokerException.class, e -> {
                        assertThat(e.code()).contains(ErrorCode.CONNECTION_LOST);
                        assertThat(e.getMessage()).contains("TLS handshake");
                        assertThat(causes(e)).hasAtLeastOneElementOfType(SSLException.class);
                    });
            assertThat(elsewhere.hellos()).isEmpty();
        }
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable c = t; c != null; c = c.getCause()) {
            chain.add(c);
        }
        return chain;
    }
}
