package org.securebroker.protocol.integrity;

import java.nio.ByteBuffer;
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
 * <p>This class is the only place these bytes are put together: the broker's signer, the
 * client's verifier and the CLI all call it. Digests are computed by feeding the fields to the
 * digest in order, never by assembling the encoding first; {@link #leaf(MessageDigest,
 * ByteBuffer, long, long, ByteBuffer, ByteBuffer, long, ByteBuffer)} takes the strings as UTF-8
 * bytes and a caller's digest, so the broker hashes stored envelopes in place, without copies.
 * docs/security-model.md ("Test vectors") has known answers for each.
 *
 * <p>Thread-safety: stateless; digests are per thread (or the caller's).
 */
public final class Canonical {

    public static final int DIGEST_BYTES = 32;

    private static final byte[] CONTENT = ascii("SB-CONTENT-1");
    private static final byte LEAF_PREFIX = 0x00;
    /** The leaf's prefix and label together: {@code 0x00 "SB-MESSAGE-1"}. */
    private static final byte[] LEAF_HEAD = prefixed(LEAF_PREFIX, "SB-MESSAGE-1");
    private static final byte[] BATCH = ascii("SB-BATCH-1");
    private static final byte[] PRODUCER = ascii("SB-PRODUCER-1");
    private static final byte NODE_PREFIX = 0x01;
    private static final int MAX_STR_BYTES = 0xFFFF;

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

    /**
     * The digest of what the producer sent: headers, payload digest and producer signature.
     *
     * @throws IllegalArgumentException if a header key is longer than 65535 UTF-8 bytes
     */
    public static byte[] contentDigest(Headers headers, byte[] payloadDigest, Bytes producerSignature) {
        Feed f = new Feed(SHA256.get());
        f.raw(CONTENT);
        f.u16(headers.size());
        for (int i = 0; i < headers.size(); i++) {
            f.str(headers.keyAt(i));
            f.bytes(headers.valueAt(i));
        }
        f.raw(payloadDigest);
        f.bytes(producerSignature);
        return f.digest();
    }

    /**
     * The Merkle leaf of one stored message.
     *
     * @throws IllegalArgumentException if a string is longer than 65535 UTF-8 bytes or the
     *     content digest does not have 32 bytes
     */
    public static byte[] leaf(String queue, long offset, long brokerTimestampMillis, String producerPrincipal,
                              String producerId, long sequence, byte[] contentDigest) {
        return leaf(SHA256.get(), utf8(queue), offset, brokerTimestampMillis, utf8(producerPrincipal),
                utf8(producerId), sequence, ByteBuffer.wrap(contentDigest));
    }

    /**
     * The Merkle leaf of one stored message, hashed with {@code digest} (reset first) from fields
     * as a stored form holds them: {@code queue}, {@code producerPrincipal} and {@code producerId}
     * are UTF-8 bytes. Each buffer is read from its position to its limit and left as it was;
     * nothing is copied (the bytes of heap buffers go to the digest straight from their arrays).
     *
     * @throws IllegalArgumentException if a string is longer than 65535 bytes or the content
     *     digest does not have 32 bytes
     */
    public static byte[] leaf(MessageDigest digest, ByteBuffer queue, long offset, long brokerTimestampMillis,
                              ByteBuffer producerPrincipal, ByteBuffer producerId, long sequence,
                              ByteBuffer contentDigest) {
        if (contentDigest.remaining() != DIGEST_BYTES) {
            throw new IllegalArgumentException("a content digest has 32 bytes, not " + contentDigest.remaining());
        }
        Feed f = new Feed(digest);
        f.raw(LEAF_HEAD);
        f.str(queue);
        f.u64(offset);
        f.u64(brokerTimestampMillis); // an i64: the same eight bytes
        f.str(producerPrincipal);
        f.str(producerId);
        f.u64(sequence);
        f.raw(contentDigest);
        return f.digest();
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

    private static byte[] prefixed(byte prefix, String label) {
        byte[] text = ascii(label);
        byte[] b = new byte[1 + text.length];
        b[0] = prefix;
        System.arraycopy(text, 0, b, 1, text.length);
        return b;
    }

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static IllegalArgumentException tooLong(int length) {
        return new IllegalArgumentException("string of " + length + " bytes is too long for a u16 length");
    }

    /**
     * Big-endian fields fed to a digest one after the other, for the encodings that are only
     * ever hashed: the encoding itself is never assembled.
     */
    private static final class Feed {
        private final MessageDigest digest;
        private final byte[] scratch = new byte[8];

        Feed(MessageDigest digest) {
            this.digest = digest;
            digest.reset();
        }

        void raw(byte[] b) {
            digest.update(b);
        }

        /** The remaining bytes of {@code b}, leaving its position where it was. */
        void raw(ByteBuffer b) {
            if (b.hasArray()) {
                digest.update(b.array(), b.arrayOffset() + b.position(), b.remaining());
            } else {
                digest.update(b.duplicate());
            }
        }

        void u16(int v) {
            scratch[0] = (byte) (v >>> 8);
            scratch[1] = (byte) v;
            digest.update(scratch, 0, 2);
        }

        void u32(int v) {
            scratch[0] = (byte) (v >>> 24);
            scratch[1] = (byte) (v >>> 16);
            scratch[2] = (byte) (v >>> 8);
            scratch[3] = (byte) v;
            digest.update(scratch, 0, 4);
        }

        void u64(long v) {
            for (int i = 0; i < 8; i++) {
                scratch[i] = (byte) (v >>> (56 - 8 * i));
            }
            digest.update(scratch, 0, 8);
        }

        void str(String s) {
            str(utf8(s));
        }

        void str(ByteBuffer utf8) {
            if (utf8.remaining() > MAX_STR_BYTES) {
                throw tooLong(utf8.remaining());
            }
            u16(utf8.remaining());
            raw(utf8);
        }

        void bytes(Bytes b) {
            u32(b.length());
            b.updateDigest(digest);
        }

        byte[] digest() {
            return digest.digest();
        }
    }

    /** Big-endian writer for the encodings that are signed as bytes (the statements), on a growing array. */
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
            if (b.length > MAX_STR_BYTES) {
                throw tooLong(b.length);
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

    }
}
