package org.securebroker.store.crypto;

import java.util.Arrays;

/**
 * A data key as stored on disk: AES-256-GCM ciphertext and tag under the KEK named by
 * {@code kekId}, with the random nonce used for wrapping. The associated data binds the log id,
 * the segment's base offset, the data key id and the KEK id, so a wrapped key moved to another
 * segment or log does not unwrap.
 *
 * <p>Thread-safety: immutable (arrays are copied in and out).
 */
public record WrappedDataKey(long segmentBase, int keyId, String kekId, byte[] nonce, byte[] ciphertext) {

    /** Wrap nonce length. */
    public static final int NONCE_BYTES = 12;
    /** Wrapped key length: 32 key bytes plus a 16-byte tag. */
    public static final int CIPHERTEXT_BYTES = Kek.KEY_BYTES + 16;

    public WrappedDataKey {
        Kek.validateId(kekId);
        if (nonce.length != NONCE_BYTES || ciphertext.length != CIPHERTEXT_BYTES) {
            throw new IllegalArgumentException("a wrapped data key has a " + NONCE_BYTES + "-byte nonce and "
                    + CIPHERTEXT_BYTES + " bytes of ciphertext");
        }
        nonce = nonce.clone();
        ciphertext = ciphertext.clone();
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WrappedDataKey w && segmentBase == w.segmentBase && keyId == w.keyId
                && kekId.equals(w.kekId) && Arrays.equals(nonce, w.nonce) && Arrays.equals(ciphertext, w.ciphertext);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(segmentBase) * 31 + keyId;
    }

    @Override
    public String toString() {
        return "WrappedDataKey[segment=" + segmentBase + ", keyId=" + Integer.toUnsignedString(keyId, 16) + ", kek=" + kekId + "]";
    }
}
