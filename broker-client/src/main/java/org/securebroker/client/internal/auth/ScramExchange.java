package org.securebroker.client.internal.auth;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.protocol.frame.AuthOkFrame;

/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding:
 *
 * <pre>
 * AUTH           n,,n=&lt;user&gt;,r=&lt;client nonce&gt;                 client-first
 * AUTH_CHALLENGE r=&lt;client nonce + server nonce&gt;,s=&lt;salt&gt;,i=&lt;n&gt;   server-first
 * AUTH_RESPONSE  c=biws,r=&lt;nonce&gt;,p=&lt;ClientProof&gt;             client-final
 * AUTH_OK        additionalData = v=&lt;ServerSignature&gt;           server-final
 * </pre>
 *
 * The exchange makes its own nonce (24 random bytes). It refuses a server-first whose nonce
 * does not extend the client's, an iteration count below {@link Scram#MIN_ITERATIONS} (a
 * downgrade) or above {@link #MAX_ITERATIONS}, and mandatory extensions it does not know. A
 * server signature that is missing, malformed, an error, or different from the expected one
 * means the broker has not proved that it knows the password: the connection must be dropped.
 * SaltedPassword, ClientKey, StoredKey and ServerKey are overwritten as soon as the proof and the
 * expected signature are computed; the expected signature after it was checked.
 *
 * <p>Thread-safety: see {@link AuthExchange}.
 */
final class ScramExchange implements AuthExchange {

    /** The most PBKDF2 iterations the client computes (the broker accepts up to this, too). */
    static final int MAX_ITERATIONS = 10_000_000;
    static final int NONCE_BYTES = 24;

    private enum State { NEW, FIRST_SENT, FINAL_SENT, DONE }

    private final PasswordCredentials credentials;
    private final String clientNonce;
    private State state = State.NEW;
    private String clientFirstBare;
    private byte[] expectedServerSignature;

    ScramExchange(PasswordCredentials credentials, SecureRandom random) {
        this(credentials, newNonce(random));
    }

    private ScramExchange(PasswordCredentials credentials, String clientNonce) {
        this.credentials = credentials;
        this.clientNonce = clientNonce;
    }

    /**
     * An exchange with a caller-chosen nonce, for known-answer tests only: a predictable nonce
     * lets a recorded exchange be replayed.
     */
    static ScramExchange insecureWithFixedNonce(PasswordCredentials credentials, String clientNonce) {
        return new ScramExchange(credentials, clientNonce);
    }

    private static String newNonce(SecureRandom source) {
        byte[] random = new byte[NONCE_BYTES];
        source.nextBytes(random);
        return Base64.getEncoder().encodeToString(random);
    }

    @Override
    public String mechanism() {
        return Scram.MECHANISM;
    }

    @Override
    public byte[] initialResponse() {
        expectState(State.NEW, "AUTH");
        clientFirstBare = "n=" + Scram.saslName(credentials.username()) + ",r=" + clientNonce;
        state = State.FIRST_SENT;
        return (Scram.GS2_HEADER + clientFirstBare).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] respond(byte[] challenge) {
        expectState(State.FIRST_SENT, "AUTH_CHALLENGE");
        String serverFirst = decodeUtf8(challenge, "server-first-message");
        ServerFirst first = parseServerFirst(serverFirst);
        String withoutProof = "c=" + Scram.CHANNEL_BINDING + ",r=" + first.nonce();
        String authMessage = Scram.authMessage(clientFirstBare, serverFirst, withoutProof);
        byte[] salted;
        try {
            salted = credentials.scramSaltedPassword(first.salt(), first.iterations());
        } catch (IllegalStateException e) {
            throw Exchanges.credentialsGone(e);
        }
        byte[] clientKey = null;
        byte[] storedKey = null;
        byte[] serverKey = null;
        byte[] proof = null;
        try {
            clientKey = Scram.hmac(salted, "Client Key");
            storedKey = Scram.sha256(clientKey);
            serverKey = Scram.hmac(salted, "Server Key");
            proof = Scram.clientProof(clientKey, storedKey, authMessage);
            expectedServerSignature = Scram.hmac(serverKey, authMessage);
            state = State.FINAL_SENT;
            return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof))
                    .getBytes(StandardCharsets.US_ASCII);
        } finally {
            wipe(salted);
            wipe(clientKey);
            wipe(storedKey);
            wipe(serverKey);
            wipe(proof);
        }
    }

    @Override
    public void verifySuccess(AuthOkFrame ok) {
        if (state != State.FINAL_SENT) {
            dispose();
            throw serverNotProven("it sent AUTH_OK before the SCRAM exchange was complete");
        }
        byte[] expected = expectedServerSignature;
        expectedServerSignature = null;
        state = State.DONE;
        byte[] received = null;
        try {
            received = serverSignature(ok.additionalData().toByteArray());
            if (!MessageDigest.isEqual(expected, received)) {
                throw serverNotProven("its SCRAM server signature does not match");
            }
        } finally {
            wipe(expected);
            wipe(received);
        }
    }

    @Override
    public void dispose() {
        wipe(expectedServerSignature);
        expectedServerSignature = null;
        state = State.DONE;
    }

    /** The decoded {@code v=} of a server-final-message. */
    private static byte[] serverSignature(byte[] serverFinalBytes) {
        if (serverFinalBytes.length == 0) {
            throw serverNotProven("its AUTH_OK carries no SCRAM server-final-message");
        }
        Map<Character, String> attributes;
        try {
            attributes = Scram.attributes(decodeUtf8(serverFinalBytes, "server-final-message"));
        } catch (IllegalArgumentException | AuthException e) {
            throw serverNotProven("its SCRAM server-final-message is malformed");
        }
        Iterator<Map.Entry<Character, String>> it = attributes.entrySet().iterator();
        Map.Entry<Character, String> first = it.next();
        if (first.getKey() == 'e') {
            throw serverNotProven("its SCRAM server-final-message is an error (e=" + first.getValue() + ")");
        }
        if (first.getKey() != 'v') {
            throw serverNotProven("its SCRAM server-final-message does not start with v=");
        }
        try {
            byte[] signature = Base64.getDecoder().decode(first.getValue());
            if (signature.length == 0) {
                throw serverNotProven("its SCRAM server signature is empty");
            }
            return signature;
        } catch (IllegalArgumentException e) {
            throw serverNotProven("its SCRAM server signature is not valid base64");
        }
    }

    private static AuthException serverNotProven(String why) {
        return new AuthException(ErrorCode.AUTHENTICATION_FAILED, false,
                "the broker could not prove that it knows the password: " + why
                        + "; the connection was dropped", null);
    }

    /** The checked attributes of a server-first-message. */
    private record ServerFirst(String nonce, byte[] salt, int iterations) {
    }

    private ServerFirst parseServerFirst(String message) {
        Map<Character, String> attributes;
        try {
            attributes = Scram.attributes(message);
        } catch (IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
        Iterator<Map.Entry<Character, String>> it = attributes.entrySet().iterator();
        Map.Entry<Character, String> r = it.next();
        if (r.getKey() == 'm') {
            throw refused("the SCRAM server-first-message requires an extension (m=) this client does not support");
        }
        if (r.getKey() != 'r') {
            throw malformed("the SCRAM server-first-message does not start with r=");
        }
        Map.Entry<Character, String> s = it.hasNext() ? it.next() : null;
        Map.Entry<Character, String> i = it.hasNext() ? it.next() : null;
        if (s == null || s.getKey() != 's' || i == null || i.getKey() != 'i') {
            throw malformed("the SCRAM server-first-message lacks s= and i= after r=");
        }
        // Later attributes are optional extensions, which RFC 5802 says to ignore.
        String nonce = r.getValue();
        if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()) {
            throw refused("the SCRAM server nonce does not extend the client nonce");
        }
        if (!isPrintableWithoutComma(nonce)) {
            throw malformed("the SCRAM nonce contains characters outside printable ASCII");
        }
        byte[] salt;
        try {
            salt = Base64.getDecoder().decode(s.getValue());
        } catch (IllegalArgumentException e) {
            throw malformed("the SCRAM salt is not valid base64");
        }
        if (salt.length == 0) {
            throw malformed("the SCRAM salt is empty");
        }
        int iterations = parseIterations(i.getValue());
        return new ServerFirst(nonce, salt, iterations);
    }

    private static int parseIterations(String value) {
        if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw malformed("the SCRAM iteration count '" + value + "' is not a number");
        }
        long iterations = Long.parseLong(value);
        if (iterations < Scram.MIN_ITERATIONS) {
            throw refused("the broker asked for " + iterations + " SCRAM iterations, fewer than the minimum "
                    + Scram.MIN_ITERATIONS + " (a downgrade); refusing");
        }
        if (iterations > MAX_ITERATIONS) {
            throw refused("the broker asked for " + iterations + " SCRAM iterations, more than the maximum "
                    + MAX_ITERATIONS + " this client computes");
        }
        return (int) iterations;
    }

    private static boolean isPrintableWithoutComma(String value) {
        for (int k = 0; k < value.length(); k++) {
            char c = value.charAt(k);
            if (c < 0x21 || c > 0x7E || c == ',') {
                return false;
            }
        }
        return true;
    }

    private void expectState(State expected, String step) {
        if (state != expected) {
            throw new AuthException(ErrorCode.PROTOCOL_ERROR, false,
                    "the SCRAM exchange received " + step + " out of order", null);
        }
    }

    private static String decodeUtf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw malformed("the SCRAM " + what + " is not valid UTF-8");
        }
    }

    /** A server-first that does not follow the syntax: the broker is broken or hostile. */
    private static AuthException malformed(String detail) {
        return new AuthException(ErrorCode.PROTOCOL_ERROR, false, detail, null);
    }

    /** A well-formed server-first the client will not accept. */
    private static AuthException refused(String detail) {
        return new AuthException(ErrorCode.AUTHENTICATION_FAILED, false, detail, null);
    }

    private static void wipe(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }
}
