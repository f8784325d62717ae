package org.securebroker.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding: the key derivations both sides
 * compute and the attribute syntax of its messages. Nonces and salts are chosen by the callers.
 *
 * <pre>
 * SaltedPassword  = PBKDF2-HMAC-SHA-256(Normalize(password), salt, iterations)
 * ClientKey       = HMAC(SaltedPassword, "Client Key")     StoredKey = SHA-256(ClientKey)
 * ServerKey       = HMAC(SaltedPassword, "Server Key")
 * AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
 * ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 * ServerSignature = HMAC(ServerKey, AuthMessage)
 * </pre>
 *
 * Passwords are normalized with Unicode NFKC, which equals SASLprep for ASCII passwords.
 *
 * <p>Thread-safety: stateless.
 */
public final class Scram {

    /** The mechanism name on the wire. */
    public static final String MECHANISM = "SCRAM-SHA-256";
    /** The smallest iteration count either side accepts (RFC 7677). */
    public static final int MIN_ITERATIONS = 4096;
    /** The GS2 header of a client without channel binding support. */
    public static final String GS2_HEADER = "n,,";
    /** {@code c=} of the client-final-message: base64 of the GS2 header. */
    public static final String CHANNEL_BINDING = Base64.getEncoder().encodeToString(GS2_HEADER.getBytes(StandardCharsets.US_ASCII));

    private Scram() {
    }

    /** The four stored values of a user: what the server keeps instead of the password. */
    public record Credentials(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
        public Credentials {
            salt = salt.clone();
            storedKey = storedKey.clone();
            serverKey = serverKey.clone();
        }

        @Override
        public byte[] salt() {
            return salt.clone();
        }

        @Override
        public byte[] storedKey() {
            return storedKey.clone();
        }

        @Override
        public byte[] serverKey() {
            return serverKey.clone();
        }

        @Override
        public String toString() {
            return "Scram.Credentials[iterations=" + iterations + "]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Credentials c && iterations == c.iterations && Arrays.equals(salt, c.salt)
                    && MessageDigest.isEqual(storedKey, c.storedKey) && MessageDigest.isEqual(serverKey, c.serverKey);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(salt) * 31 + iterations;
        }
    }

    /** Derives the credentials a server stores for a password. */
    public static Credentials credentials(char[] password, byte[] salt, int iterations) {
        byte[] salted = saltedPassword(password, salt, iterations);
        try {
            return new Credentials(salt, iterations, sha256(hmac(salted, "Client Key")), hmac(salted, "Server Key"));
        } finally {
            Arrays.fill(salted, (byte) 0);
        }
    }

    public static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("SCRAM iteration count " + iterations + " is below " + MIN_ITERATIONS);
        }
        // NFKC leaves ASCII unchanged; only other passwords pay for a String copy that cannot be wiped
        char[] normalized = isAscii(password) ? password.clone()
                : Normalizer.normalize(java.nio.CharBuffer.wrap(password), Normalizer.Form.NFKC).toCharArray();
        PBEKeySpec spec = new PBEKeySpec(normalized, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JVM", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(normalized, '\0');
        }
    }

    private static boolean isAscii(char[] chars) {
        for (char c : chars) {
            if (c >= 0x80) {
                return false;
            }
        }
        return true;
    }

    public static byte[] hmac(byte[] key, String message) {
        return hmac(key, message.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** ClientKey XOR HMAC(StoredKey, AuthMessage). */
    public static byte[] clientProof(byte[] clientKey, byte[] storedKey, String authMessage) {
        byte[] signature = hmac(storedKey, authMessage);
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        return proof;
    }

    /**
     * The server's check of a client proof: recovers ClientKey from the proof and compares its
     * hash with StoredKey in constant time.
     */
    public static boolean verifyClientProof(byte[] storedKey, String authMessage, byte[] proof) {
        byte[] signature = hmac(storedKey, authMessage);
        if (proof.length != signature.length) {
            return false;
        }
        byte[] clientKey = new byte[proof.length];
        for (int i = 0; i < proof.length; i++) {
            clientKey[i] = (byte) (proof[i] ^ signature[i]);
        }
        return MessageDigest.isEqual(sha256(clientKey), storedKey);
    }

    public static String authMessage(String clientFirstBare, String serverFirst, String clientFinalWithoutProof) {
        return clientFirstBare + "," + serverFirst + "," + clientFinalWithoutProof;
    }

    /**
     * Parses {@code a=value,b=value} attributes in order. Values may contain '=' but not ','.
     *
     * @throws IllegalArgumentException on malformed input
     */
    public static Map<Character, String> attributes(String message) {
        Map<Character, String> out = new LinkedHashMap<>();
        for (String part : message.split(",", -1)) {
            if (part.length() < 2 || part.charAt(1) != '=' || !Character.isLetter(part.charAt(0))) {
                throw new IllegalArgumentException("malformed SCRAM attribute '" + part + "'");
            }
            if (out.put(part.charAt(0), part.substring(2)) != null) {
                throw new IllegalArgumentException("repeated SCRAM attribute '" + part.charAt(0) + "'");
            }
        }
        return out;
    }

    /** Escapes a user name for {@code n=} ({@code =} to {@code =3D}, {@code ,} to {@code =2C}). */
    public static String saslName(String name) {
        return name.replace("=", "=3D").replace(",", "=2C");
    }

    /** Reverses {@link #saslName}. */
    public static String unescapeSaslName(String name) {
        return name.replace("=2C", ",").replace("=3D", "=");
    }
}
