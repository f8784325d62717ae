package org.securebroker.store.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM for records. Callers never pass a nonce: it is derived from the record's position,
 * {@code nonce = keyId (4 bytes) | offset (8 bytes)}. Each segment has a fresh random data key,
 * offsets are unique within a segment, and a segment never takes appends again once the process
 * that created it has stopped or a write to it has failed, so a (key, nonce) pair is never
 * used twice, across crashes and restarts included.
 *
 * <p>The associated data is {@code "BREC" | formatVersion | logId (16) | segmentBase (8) |
 * offset (8) | keyId (4)}: a record copied to another offset, segment or log, or decrypted under
 * another format version, fails authentication.
 *
 * <p>Thread-safety: not thread-safe; use one instance per thread.
 */
public final class RecordCipher {

    /** GCM tag length in bytes. */
    public static final int TAG_BYTES = 16;

    private static final byte[] LABEL = "BREC".getBytes(StandardCharsets.US_ASCII);

    private final Cipher cipher;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[LABEL.length + 1 + 16 + 8 + 8 + 4];

    public RecordCipher() {
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is missing from this JVM", e);
        }
    }

    /**
     * Encrypts the remaining bytes of {@code plaintext} into {@code dst} at its position,
     * followed by the tag.
     *
     * @return the number of bytes written: the plaintext length plus {@link #TAG_BYTES}
     */
    public int encrypt(SegmentKey key, byte formatVersion, long offset, ByteBuffer plaintext, ByteBuffer dst) {
        return encrypt(key, formatVersion, offset, plaintext, null, dst);
    }

    /**
     * Encrypts {@code plaintext} and then {@code trailer} (null = none) as one message.
     *
     * @return the number of bytes written: both lengths plus {@link #TAG_BYTES}
     */
    public int encrypt(SegmentKey key, byte formatVersion, long offset, ByteBuffer plaintext, ByteBuffer trailer,
                    ByteBuffer dst) {
        prepare(key, formatVersion, offset);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key.dataKey().secretKey(), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.updateAAD(aad);
            if (trailer == null) {
                return cipher.doFinal(plaintext, dst);
            }
            int written = cipher.update(plaintext, dst);
            return written + cipher.doFinal(trailer, dst);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("record encryption failed", e);
        }
    }

    /**
     * Decrypts and authenticates the remaining bytes of {@code ciphertextAndTag}.
     *
     * @return the plaintext, or {@code null} if authentication fails (the record was altered,
     *     moved, or belongs to another key)
     */
    public byte[] decrypt(SegmentKey key, byte formatVersion, long offset, ByteBuffer ciphertextAndTag) {
        int length = ciphertextAndTag.remaining() - TAG_BYTES;
        if (length < 0) {
            return null;
        }
        prepare(key, formatVersion, offset);
        byte[] out = new byte[length];
        try {
            cipher.init(Cipher.DECRYPT_MODE, key.dataKey().secretKey(), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.updateAAD(aad);
            cipher.doFinal(ciphertextAndTag, ByteBuffer.wrap(out));
            return out;
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("record decryption failed", e);
        }
    }

    private void prepare(SegmentKey key, byte formatVersion, long offset) {
        int keyId = key.dataKey().id();
        putInt(nonce, 0, keyId);
        putLong(nonce, 4, offset);
        int p = 0;
        System.arraycopy(LABEL, 0, aad, p, LABEL.length);
        p += LABEL.length;
        aad[p++] = formatVersion;
        System.arraycopy(key.logIdUnsafe(), 0, aad, p, 16);
        p += 16;
        putLong(aad, p, key.segmentBase());
        p += 8;
        putLong(aad, p, offset);
        p += 8;
        putInt(aad, p, keyId);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) (v >>> 32));
        putInt(b, at + 4, (int) v);
    }
}
