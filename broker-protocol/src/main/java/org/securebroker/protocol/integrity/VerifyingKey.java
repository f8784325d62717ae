package org.securebroker.protocol.integrity;

import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 public key with its id: the first 16 hex characters of the SHA-256 of its raw
 * 32-byte encoding. The decoded point is kept, so verifying does not decode the key again.
 *
 * <p>Thread-safety: immutable.
 */
public final class VerifyingKey {

    private final byte[] raw;
    private final String id;
    private final Ed25519.PublicPoint point;

    private VerifyingKey(byte[] raw, Ed25519.PublicPoint point) {
        this.raw = raw;
        this.id = SigningKey.idOf(raw);
        this.point = point;
    }

    /**
     * The key with these 32 raw bytes.
     *
     * @throws IllegalArgumentException if they are not a valid Ed25519 public key
     */
    public static VerifyingKey of(byte[] raw) {
        Objects.requireNonNull(raw, "raw");
        if (raw.length != Ed25519.PUBLIC_KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + raw.length);
        }
        byte[] copy = raw.clone();
        Ed25519.PublicPoint point = Ed25519.validatePublicKeyFullExport(copy, 0);
        if (point == null) {
            throw new IllegalArgumentException("the 32 bytes are not a valid Ed25519 public key");
        }
        return new VerifyingKey(copy, point);
    }

    public String id() {
        return id;
    }

    /** A copy of the raw 32 bytes. */
    public byte[] rawBytes() {
        return raw.clone();
    }

    /** Whether {@code signature} is this key's Ed25519 signature of {@code message}. */
    public boolean verify(byte[] signature, byte[] message) {
        return signature.length == Ed25519.SIGNATURE_SIZE
                && Ed25519.verify(signature, 0, point, message, 0, message.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifyingKey other && Arrays.equals(raw, other.raw);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
        return "VerifyingKey[" + id + "]";
    }
}
