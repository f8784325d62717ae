package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.securebroker.client.fake.FakeBroker.ScramTranscript;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.CloseFrame;

/** SCRAM-SHA-256 against the fake broker, whose side is computed with the shared primitives. */
class ScramAuthenticationTest extends ClientTestSupport {

    private BrokerClientBuilder scramBuilder() {
        broker.mechanisms(Scram.MECHANISM);
        return builder().passwordMechanism(PasswordMechanism.SCRAM_SHA_256);
    }

    private static byte[] salt(ScramTranscript t) {
        return Base64.getDecoder().decode(Scram.attributes(t.serverFirst()).get('s'));
    }

    @Test
    void shouldLogInAndSendTheClientProofThatScramComputes() {
        BrokerClient client = connect(scramBuilder());

        assertThat(client.principal()).isEqualTo("alice");
        assertThat(broker.authFrames()).extracting(AuthFrame::mechanism).containsExactly(Scram.MECHANISM);
        ScramTranscript t = broker.scramTranscripts().get(0);
        assertThat(t.clientFirst()).startsWith("n,,n=alice,r=");
        String clientNonce = Scram.attributes(t.clientFirst().substring(3)).get('r');
        assertThat(Base64.getDecoder().decode(clientNonce)).hasSize(24);
        Map<Character, String> clientFinal = Scram.attributes(t.clientFinal());
        assertThat(clientFinal.get('c')).isEqualTo("biws");
        assertThat(clientFinal.get('r')).isEqualTo(Scram.attributes(t.serverFirst()).get('r')).startsWith(clientNonce);

        byte[] salted = Scram.saltedPassword("s3cret".toCharArray(), salt(t), Scram.MIN_ITERATIONS);
        byte[] clientKey = Scram.hmac(salted, "Client Key");
        String authMessage = Scram.authMessage(t.clientFirst().substring(3), t.serverFirst(),
                "c=biws,r=" + clientFinal.get('r'));
        byte[] expectedProof = Scram.clientProof(clientKey, Scram.sha256(clientKey), authMessage);
        assertThat(Base64.getDecoder().decode(clientFinal.get('p'))).isEqualTo(expectedProof);
    }

    @Test
    void shouldSendNoPasswordInAnyMessage() {
        connect(scramBuilder());

        ScramTranscript t = broker.scramTranscripts().get(0);
        assertThat(t.clientFirst() + t.clientFinal()).doesNotContain("s3cret");
    }

    @Test
    void shouldFailConnectWithNonRetriableAuthenticationFailedWhenTheBrokerRejectsTheProof() {
        BrokerClientBuilder builder = scramBuilder().credentials("alice", "wrong".toCharArray());

        assertThatThrownBy(builder::connect)
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("refused AUTH SCRAM-SHA-256 as 'alice'");
                });
        assertThat(broker.authenticatedConnections()).isZero();
    }

    @Test
    void shouldRefuseABrokerWhoseServerSignatureIsTampered() {
        broker.rewriteScramServerFinal(serverFinal -> {
            byte[] signature = Base64.getDecoder().decode(serverFinal.substring(2));
            signature[7] ^= 0x01;
            return "v=" + Base64.getEncoder().encodeToString(signature);
        });

        assertThatThrownBy(() -> scramBuilder().connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("could not prove that it knows the password");
                });
        eventually(() -> !broker.received(CloseFrame.class).isEmpty());
        assertThat(broker.received(CloseFrame.class).get(0).code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "e=other-error", "v=not*base64", "v=", "x=unexpected"})
    void shouldRefuseABrokerWhoseServerFinalMessageProvesNothing(String serverFinal) {
        broker.rewriteScramServerFinal(original -> serverFinal);

        assertThatThrownBy(() -> scramBuilder().connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("could not prove that it knows the password");
                });
    }

    @Test
    void shouldRefuseAnIterationCountBelowTheMinimumAsADowngrade() {
        broker.rewriteScramServerFirst(serverFirst -> serverFirst.replace(",i=4096", ",i=4095"));

        assertThatThrownBy(() -> scramBuilder().connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("4095").contains("downgrade");
                });
        assertThat(broker.scramTranscripts()).as("no client-final-message was sent").isEmpty();
    }

    @Test
    void shouldRefuseAServerNonceThatDoesNotExtendTheClientNonce() {
        broker.rewriteScramServerFirst(serverFirst -> serverFirst.replaceFirst("r=", "r=X"));

        assertThatThrownBy(() -> scramBuilder().connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("nonce");
                });
        assertThat(broker.scramTranscripts()).isEmpty();
    }

    @Test
    void shouldAuthenticateAgainWithAFreshNonceAfterReconnecting() {
        connect(scramBuilder());

        broker.dropConnections();

        eventually(() -> broker.authenticatedConnections() == 2);
        assertThat(broker.scramTranscripts()).hasSize(2);
        assertThat(broker.scramTranscripts().get(1).clientFirst())
                .isNotEqualTo(broker.scramTranscripts().get(0).clientFirst());
    }
}
