package org.securebroker.store.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A key-encryption key: a 256-bit AES key with an id. It wraps data keys; it never encrypts
 * records. {@link #toString()} shows the id only and {@link #equals(Object)} compares key bytes
 * in constant time.
 *
 * <p>Thread-safety: immutable.
 */
public final class Kek {

    /** Key length in bytes (AES-256). */
    public static final int KEY_BYTES = 32;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final String id;
    private final byte[] key;
    private final SecretKeySpec spec;

    private Kek(String id, byte[] key) {
        this.id = id;
        this.key = key;
        this.spec = new SecretKeySpec(key, "AES");
    }

    /**
     * Creates a KEK from raw key bytes, which are copied.
     *
     * @throws IllegalArgumentException if the id is not 1-64 characters of {@code [A-Za-z0-9._-]}
     *     starting with a letter or digit, or the key is not 32 bytes
     */
    public static Kek of(String id, byte[] keyBytes) {
        validateId(id);
        Objects.requireNonNull(keyBytes, "keyBytes");
        if (keyBytes.length != KEY_BYTES) {
            throw new IllegalArgumentException("key '" + id + "' must be " + KEY_BYTES + " bytes, not " + keyBytes.length);
        }
        return new Kek(id, keyBytes.clone());
    }

    static void validateId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid key id '" + id
                    + "': use 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    public String id() {
        return id;
    }

    SecretKey secretKey() {
        return spec;
    }

    /** A copy of the key bytes, for writing key files only. */
    byte[] exportBytes() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Kek other && id.equals(other.id) && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "Kek[id=" + id + "]";
    }

    /** Overwrites this object's copy of the key bytes; the JDK key object may keep its own copy. */
    void destroy() {
        Arrays.fill(key, (byte) 0);
    }
}
