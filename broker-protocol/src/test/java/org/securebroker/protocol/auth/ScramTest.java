package org.securebroker.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

/** RFC 7677, section 3: the SCRAM-SHA-256 exchange for user "user", password "pencil". */
class ScramTest {

    private static final String CLIENT_FIRST_BARE = "n=user,r=rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_FIRST =
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private static final String CLIENT_FINAL_WITHOUT_PROOF = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final String PROOF = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private static final String SERVER_SIGNATURE = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    @Test
    void shouldReproduceTheRfc7677TestVector() {
        byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        byte[] salted = Scram.saltedPassword("pencil".toCharArray(), salt, 4096);
        byte[] clientKey = Scram.hmac(salted, "Client Key");
        byte[] storedKey = Scram.sha256(clientKey);
        byte[] serverKey = Scram.hmac(salted, "Server Key");
        String authMessage = Scram.authMessage(CLIENT_FIRST_BARE, SERVER_FIRST, CLIENT_FINAL_WITHOUT_PROOF);
        assertThat(Base64.getEncoder().encodeToString(Scram.clientProof(clientKey, storedKey, authMessage))).isEqualTo(PROOF);
        assertThat(Base64.getEncoder().encodeToString(Scram.hmac(serverKey, authMessage))).isEqualTo(SERVER_SIGNATURE);
        assertThat(Scram.CHANNEL_BINDING).isEqualTo("biws");
        Scram.Credentials stored = Scram.credentials("pencil".toCharArray(), salt, 4096);
        assertThat(Scram.verifyClientProof(stored.storedKey(), authMessage, Base64.getDecoder().decode(PROOF))).isTrue();
    }

    @Test
    void shouldRefuseAWrongProofAndTooFewIterations() {
        Scram.Credentials stored = Scram.credentials("pencil".toCharArray(), new byte[16], 4096);
        byte[] proof = Base64.getDecoder().decode(PROOF);
        proof[0] ^= 1;
        assertThat(Scram.verifyClientProof(stored.storedKey(), "x", proof)).isFalse();
        assertThatThrownBy(() -> Scram.saltedPassword("p".toCharArray(), new byte[16], 4095)).hasMessageContaining("4096");
    }

    @Test
    void shouldParseAttributesAndEscapeNames() {
        assertThat(Scram.attributes(SERVER_FIRST)).containsKeys('r', 's', 'i');
        assertThat(Scram.attributes("v=abc==")).containsEntry('v', "abc==");
        assertThatThrownBy(() -> Scram.attributes("r=a,r=b")).hasMessageContaining("repeated");
        assertThatThrownBy(() -> Scram.attributes("garbage")).hasMessageContaining("malformed");
        assertThat(Scram.saslName("a,b=c")).isEqualTo("a=2Cb=3Dc");
        assertThat(Scram.unescapeSaslName("a=2Cb=3Dc")).isEqualTo("a,b=c");
    }
}
