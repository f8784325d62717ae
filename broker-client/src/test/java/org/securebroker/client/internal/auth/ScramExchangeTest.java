package org.securebroker.client.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatNoException;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.Bytes;

/** The client side of SCRAM-SHA-256, without sockets, against the RFC 7677 exchange. */
class ScramExchangeTest {

    private static final String CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_NONCE = CLIENT_NONCE + "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final String SALT = "W22ZaJ0SNY7soEsUEjb6gQ==";
    private static final String SERVER_FIRST = "r=" + SERVER_NONCE + ",s=" + SALT + ",i=4096";
    private static final String CLIENT_FINAL = "c=biws,r=" + SERVER_NONCE + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private static final String SERVER_SIGNATURE = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private static ScramExchange rfcExchange() {
        return ScramExchange.insecureWithFixedNonce(new PasswordCredentials("user", "pencil".toCharArray()),
                CLIENT_NONCE);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static AuthOkFrame authOk(String serverFinal) {
        return new AuthOkFrame(2, "user", 0, Bytes.utf8(serverFinal));
    }

    private static ScramExchange afterClientFinal() {
        ScramExchange exchange = rfcExchange();
        exchange.initialResponse();
        exchange.respond(utf8(SERVER_FIRST));
        return exchange;
    }

    private static void assertRefused(Runnable step, ErrorCode code, String detail) {
        assertThatThrownBy(step::run).isInstanceOfSatisfying(AuthException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.retriable()).isFalse();
            assertThat(e.detail()).contains(detail);
        });
    }

    @Test
    void shouldProduceTheRfc7677ClientMessages() {
        ScramExchange exchange = rfcExchange();

        assertThat(new String(exchange.initialResponse(), StandardCharsets.UTF_8))
                .isEqualTo("n,,n=user,r=" + CLIENT_NONCE);
        assertThat(new String(exchange.respond(utf8(SERVER_FIRST)), StandardCharsets.UTF_8)).isEqualTo(CLIENT_FINAL);
        assertThatNoException().isThrownBy(() -> exchange.verifySuccess(authOk("v=" + SERVER_SIGNATURE)));
    }

    @Test
    void shouldMakeARandomBase64NonceOf24BytesForEachExchange() {
        PasswordCredentials credentials = new PasswordCredentials("user", "pencil".toCharArray());
        String first = new String(new ScramExchange(credentials, new SecureRandom()).initialResponse(), StandardCharsets.UTF_8);
        String second = new String(new ScramExchange(credentials, new SecureRandom()).initialResponse(), StandardCharsets.UTF_8);

        String nonce = first.substring(first.indexOf(",r=") + 3);
        assertThat(Base64.getDecoder().decode(nonce)).hasSize(ScramExchange.NONCE_BYTES);
        assertThat(second).isNotEqualTo(first);
    }

    @Test
    void shouldEscapeCommaAndEqualsInTheUserName() {
        ScramExchange exchange = ScramExchange.insecureWithFixedNonce(
                new PasswordCredentials("a,b=c", "pencil".toCharArray()), CLIENT_NONCE);

        assertThat(new String(exchange.initialResponse(), StandardCharsets.UTF_8)).startsWith("n,,n=a=2Cb=3Dc,r=");
    }

    @Test
    void shouldRefuseEveryServerSignatureWithOneFlippedBit() {
        byte[] signature = Base64.getDecoder().decode(SERVER_SIGNATURE);
        for (int i = 0; i < signature.length * 8; i++) {
            byte[] tampered = signature.clone();
            tampered[i / 8] ^= (byte) (1 << (i % 8));
            ScramExchange exchange = afterClientFinal();
            String serverFinal = "v=" + Base64.getEncoder().encodeToString(tampered);

            assertRefused(() -> exchange.verifySuccess(authOk(serverFinal)), ErrorCode.AUTHENTICATION_FAILED,
                    "could not prove that it knows the password");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''",
        "e=invalid-proof",
        "v=",
        "v=%%%",
        "x=" + SERVER_SIGNATURE,
        "garbage",
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl9",
    })
    void shouldRefuseAServerFinalMessageThatProvesNothing(String serverFinal) {
        ScramExchange exchange = afterClientFinal();

        assertRefused(() -> exchange.verifySuccess(authOk(serverFinal)), ErrorCode.AUTHENTICATION_FAILED,
                "could not prove that it knows the password");
    }

    @Test
    void shouldRefuseAuthOkBeforeTheServerFirstMessage() {
        ScramExchange exchange = rfcExchange();
        exchange.initialResponse();

        assertRefused(() -> exchange.verifySuccess(authOk("v=" + SERVER_SIGNATURE)), ErrorCode.AUTHENTICATION_FAILED,
                "before the SCRAM exchange was complete");
    }

    @Test
    void shouldAcceptOptionalExtensionsAfterTheIterationCount() {
        ScramExchange exchange = rfcExchange();
        exchange.initialResponse();

        assertThatNoException().isThrownBy(() -> exchange.respond(utf8(SERVER_FIRST + ",x=extension")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "r=" + SERVER_NONCE + ",s=" + SALT + ",i=4095 | AUTHENTICATION_FAILED | fewer than the minimum 4096",
        "r=" + SERVER_NONCE + ",s=" + SALT + ",i=1 | AUTHENTICATION_FAILED | downgrade",
        "r=" + SERVER_NONCE + ",s=" + SALT + ",i=10000001 | AUTHENTICATION_FAILED | more than the maximum",
        "r=" + SERVER_NONCE + ",s=" + SALT + ",i=99999999999 | PROTOCOL_ERROR | not a number",
        "r=" + SERVER_NONCE + ",s=" + SALT + ",i=-4096 | PROTOCOL_ERROR | not a number",
        "r=" + SERVER_NONCE + ",s=" + SALT + ",i=4k | PROTOCOL_ERROR | not a number",
        "r=other" + SERVER_NONCE + ",s=" + SALT + ",i=4096 | AUTHENTICATION_FAILED | nonce",
        "r=" + CLIENT_NONCE + ",s=" + SALT + ",i=4096 | AUTHENTICATION_FAILED | nonce",
        "m=ext,r=" + SERVER_NONCE + ",s=" + SALT + ",i=4096 | AUTHENTICATION_FAILED | extension",
        "r=" + SERVER_NONCE + ",s=,i=4096 | PROTOCOL_ERROR | salt is empty",
        "r=" + SERVER_NONCE + ",s=%%%,i=4096 | PROTOCOL_ERROR | salt is not valid base64",
        "r=" + SERVER_NONCE + ",i=4096,s=" + SALT + " | PROTOCOL_ERROR | lacks s= and i=",
        "r=" + SERVER_NONCE + ",s=" + SALT + " | PROTOCOL_ERROR | lacks s= and i=",
        "s=" + SALT + ",r=" + SERVER_NONCE + ",i=4096 | PROTOCOL_ERROR | does not start with r=",
        "r=" + SERVER_NONCE + ",s=" + SALT + ",i=4096,i=4096 | PROTOCOL_ERROR | repeated",
        "nonsense | PROTOCOL_ERROR | malformed",
    })
    void shouldRefuseAnUnacceptableServerFirstMessageBeforeComputingAProof(String serverFirst, ErrorCode code,
                                                                           String detail) {
        ScramExchange exchange = rfcExchange();
        exchange.initialResponse();

        assertRefused(() -> exchange.respond(utf8(serverFirst)), code, detail);
    }

    @Test
    void shouldRefuseAServerFirstMessageThatIsNotUtf8() {
        ScramExchange exchange = rfcExchange();
        exchange.initialResponse();

        assertRefused(() -> exchange.respond(new byte[] {'r', '=', (byte) 0xC0, (byte) 0x80}),
                ErrorCode.PROTOCOL_ERROR, "not valid UTF-8");
    }

    @Test
    void shouldRefuseASecondChallenge() {
        ScramExchange exchange = afterClientFinal();

        assertRefused(() -> exchange.respond(utf8(SERVER_FIRST)), ErrorCode.PROTOCOL_ERROR, "out of order");
    }

    @Test
    void shouldFailWithClientClosedOnceThePasswordIsWiped() {
        PasswordCredentials credentials = new PasswordCredentials("user", "pencil".toCharArray());
        ScramExchange exchange = ScramExchange.insecureWithFixedNonce(credentials, CLIENT_NONCE);
        exchange.initialResponse();
        credentials.wipe();

        assertThatThrownBy(() -> exchange.respond(utf8(SERVER_FIRST)))
                .isInstanceOfSatisfying(AuthException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLIENT_CLOSED));
    }
}
