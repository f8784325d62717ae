package org.securebroker.client.fake;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.securebroker.protocol.auth.Scram;

/**
 * The fake broker's side of one SCRAM-SHA-256 exchange, at the minimum iteration count, with
 * hooks that rewrite its messages so tests can play a broker that lies.
 *
 * <p>Thread-safety: not thread-safe; used on one connection's event loop.
 */
final class FakeScram {

    private final String username;
    private final String password;
    private final byte[] salt;
    private final UnaryOperator<String> serverFirstRewrite;
    private final UnaryOperator<String> serverFinalRewrite;
    private String clientFirst;
    private String serverFirst;
    private String nonce;

    FakeScram(String username, String password, byte[] salt, UnaryOperator<String> serverFirstRewrite,
              UnaryOperator<String> serverFinalRewrite) {
        this.username = username;
        this.password = password;
        this.salt = salt.clone();
        this.serverFirstRewrite = serverFirstRewrite;
        this.serverFinalRewrite = serverFinalRewrite;
    }

    /** The server-first-message for this client-first-message, or null to refuse it. */
    String start(String first) {
        if (!first.startsWith(Scram.GS2_HEADER)) {
            return null;
        }
        Map<Character, String> attributes = Scram.attributes(first.substring(Scram.GS2_HEADER.length()));
        if (!Scram.unescapeSaslName(attributes.get('n')).equals(username)) {
            return null;
        }
        byte[] serverNonce = new byte[18];
        new SecureRandom().nextBytes(serverNonce);
        clientFirst = first;
        nonce = attributes.get('r') + Base64.getEncoder().encodeToString(serverNonce);
        serverFirst = serverFirstRewrite.apply("r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt)
                + ",i=" + Scram.MIN_ITERATIONS);
        return serverFirst;
    }

    /** Checks the client-final-message; the transcript's server-final is null if the proof failed. */
    FakeBroker.ScramTranscript finish(String clientFinal) {
        int proofAt = clientFinal.lastIndexOf(",p=");
        String withoutProof = clientFinal.substring(0, Math.max(0, proofAt));
        byte[] proof = Base64.getDecoder().decode(clientFinal.substring(proofAt + 3));
        Scram.Credentials stored = Scram.credentials(password.toCharArray(), salt, Scram.MIN_ITERATIONS);
        String authMessage = Scram.authMessage(clientFirst.substring(Scram.GS2_HEADER.length()), serverFirst,
                withoutProof);
        boolean valid = withoutProof.equals("c=" + Scram.CHANNEL_BINDING + ",r=" + nonce)
                && Scram.verifyClientProof(stored.storedKey(), authMessage, proof);
        String serverFinal = serverFinalRewrite.apply(
                "v=" + Base64.getEncoder().encodeToString(Scram.hmac(stored.serverKey(), authMessage)));
        return new FakeBroker.ScramTranscript(clientFirst, serverFirst, clientFinal, valid ? serverFinal : null);
    }
}
