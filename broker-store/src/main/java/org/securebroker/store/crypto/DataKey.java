package org.securebroker.store.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A data key (DEK): a fresh random AES-256 key for one segment, with a 32-bit id that is unique
 * within its log. It exists in plaintext only in memory; on disk it is always wrapped by a
 * {@link Kek}. {@link #toString()} shows the id only.
 *
 * <p>Thread-safety: immutable until {@link #destroy()}, which callers invoke once no reader can
 * use the key any more.
 */
public final class DataKey {

    private final int id;
    private final byte[] key;
    private final SecretKeySpec spec;

    DataKey(int id, byte[] key) {
        if (key.length != Kek.KEY_BYTES) {
            throw new IllegalArgumentException("a data key is " + Kek.KEY_BYTES + " bytes");
        }
        this.id = id;
        this.key = key.clone();
        this.spec = new SecretKeySpec(this.key, "AES");
    }

    /** A fresh random data key with the given id. */
    public static DataKey generate(SecureRandom random, int id) {
        byte[] bytes = new byte[Kek.KEY_BYTES];
        random.nextBytes(bytes);
        try {
            return new DataKey(id, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    public int id() {
        return id;
    }

    SecretKey secretKey() {
        return spec;
    }

    byte[] exportBytes() {
        return key.clone();
    }

    /**
     * A one-way fingerprint of the key (SHA-256 of a label and the key), for tests and tools that
     * must tell keys apart without seeing them.
     */
    public byte[] fingerprint() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update("broker-dek-fingerprint".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            digest.update(key);
            return Arrays.copyOf(digest.digest(), 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Overwrites this object's copy of the key; the JDK key object may keep its own copy. */
    public void destroy() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataKey other && id == other.id && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(id);
    }

    @Override
    public String toString() {
        return "DataKey[id=" + Integer.toUnsignedString(id, 16) + "]";
    }
}
