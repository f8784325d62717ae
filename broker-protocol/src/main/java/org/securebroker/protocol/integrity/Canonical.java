package org.securebroker.protocol.integrity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * The canonical byte encodings that message signatures cover, version 1. Everything is
 * big-endian; {@code str} is a u16 length and UTF-8, {@code bytes} a u32 length and the bytes,
 * {@code digest} 32 raw bytes of SHA-256. Each encoding starts with its own ASCII label, so a
 * signature over one can never be taken for another. docs/security-model.md ("Integrity")
 * describes each byte; it is enough to verify without this code.
 *
 * <pre>
 * payloadDigest   = SHA-256(payload)
 * contentDigest   = SHA-256("SB-CONTENT-1" | u16 headerCount | (str key | bytes value)*
 *                           | payloadDigest | bytes producerSignature)
 * leaf            = SHA-256(0x00 | "SB-MESSAGE-1" | str queue | u64 offset | i64 brokerTimestampMillis
 *                           | str producerPrincipal | str producerId | u64 sequence | contentDigest)
 * node            = SHA-256(0x01 | left | right)
 * batch statement = "SB-BATCH-1" | str keyId | u64 auditPosition | u32 treeSize | root
 * producer stmt   = "SB-PRODUCER-1" | str queue | str producerId | u64 sequence
 *                   | u16 headerCount | (str key | bytes value)* | payloadDigest
 * </pre>
 *
 * <p>Thread-safety: stateless; digests are per thread.
 */
public final class Canonical {

    public static final int DIGEST_BYTES = 32;

    private static final byte[] CONTENT = ascii("SB-CONTENT-1");
    private static final byte[] MESSAGE = ascii("SB-MESSAGE-1");
    private static final byte[] BATCH = ascii("SB-BATCH-1");
    private static final byte[] PRODUCER = ascii("SB-PRODUCER-1");
    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Canonical::newSha256);

    private Canonical() {
    }

    /** A fresh SHA-256 digest. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** SHA-256 of {@code data}. */
    public static byte[] sha256(byte[] data) {
        MessageDigest d = SHA256.get();
        d.reset();
        return d.digest(data);
    }

    /** SHA-256 of the payload. */
    public static byte[] payloadDigest(Bytes payload) {
        MessageDigest d = SHA256.get();
        d.reset();
        payload.updateDigest(d);
        return d.digest();
    }

    /** The digest of what the producer sent: headers, payload digest and producer signature. */
    public static byte[] contentDigest(Headers headers, byte[] payloadDigest, Bytes producerSignature) {
        Writer w = new Writer(64 + payloadDigest.length + producerSignature.length());
        w.raw(CONTENT);
        headers(w, headers);
        w.raw(payloadDigest);
        w.bytes(producerSignature);
        return w.sha256();
    }

    /** The Merkle leaf of one stored message. */
    public static byte[] leaf(String queue, long offset, long brokerTimestampMillis, String producerPrincipal,
                              String producerId, long sequence, byte[] contentDigest) {
        Writer w = new Writer(128);
        w.u8(LEAF_PREFIX);
        w.raw(MESSAGE);
        w.str(queue);
        w.u64(offset);
        w.u64(brokerTimestampMillis);
        w.str(producerPrincipal);
        w.str(producerId);
        w.u64(sequence);
        w.raw(contentDigest);
        return w.sha256();
    }

    /** An inner Merkle node. */
    public static byte[] node(byte[] left, byte[] right) {
        MessageDigest d = SHA256.get();
        d.reset();
        d.update(NODE_PREFIX);
        d.update(left);
        d.update(right);
        return d.digest();
    }

    /** What the broker signs for one batch. */
    public static byte[] batchStatement(String keyId, long auditPosition, int treeSize, byte[] root) {
        Writer w = new Writer(64 + DIGEST_BYTES);
        w.raw(BATCH);
        w.str(keyId);
        w.u64(auditPosition);
        w.u32(treeSize);
        w.raw(root);
        return w.toByteArray();
    }

    /** What a producer signs for one message. */
    public static byte[] producerStatement(String queue, String producerId, long sequence, Headers headers,
                                           byte[] payloadDigest) {
        Writer w = new Writer(96);
        w.raw(PRODUCER);
        w.str(queue);
        w.str(producerId);
        w.u64(sequence);
        headers(w, headers);
        w.raw(payloadDigest);
        return w.toByteArray();
    }

    private static void headers(Writer w, Headers headers) {
        w.u16(headers.size());
        for (int i = 0; i < headers.size(); i++) {
            w.str(headers.keyAt(i));
            w.bytes(headers.valueAt(i));
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Big-endian writer for the encodings above, on a growing array. */
    static final class Writer {
        private byte[] buf;
        private int length;

        Writer(int size) {
            buf = new byte[Math.max(16, size)];
        }

        private void room(int n) {
            if (length + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, length + n));
            }
        }

        void raw(byte[] b) {
            room(b.length);
            System.arraycopy(b, 0, buf, length, b.length);
            length += b.length;
        }

        void u8(int v) {
            room(1);
            buf[length++] = (byte) v;
        }

        void u16(int v) {
            room(2);
            buf[length++] = (byte) (v >>> 8);
            buf[length++] = (byte) v;
        }

        void u32(int v) {
            room(4);
            buf[length++] = (byte) (v >>> 24);
            buf[length++] = (byte) (v >>> 16);
            buf[length++] = (byte) (v >>> 8);
            buf[length++] = (byte) v;
        }

        void u64(long v) {
            u32((int) (v >>> 32));
            u32((int) v);
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > 0xFFFF) {
                throw new IllegalArgumentException("string of " + b.length + " bytes is too long for a u16 length");
            }
            u16(b.length);
            raw(b);
        }

        void bytes(Bytes b) {
            int n = b.length();
            u32(n);
            room(n);
            b.asReadOnlyByteBuffer().get(buf, length, n);
            length += n;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, length);
        }

        /** SHA-256 of what was written, without copying it. */
        byte[] sha256() {
            MessageDigest d = SHA256.get();
            d.reset();
            d.update(buf, 0, length);
            return d.digest();
        }
    }
}
