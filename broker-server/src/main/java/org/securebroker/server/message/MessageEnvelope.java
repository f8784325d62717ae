package org.securebroker.server.message;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.integrity.Canonical;

/**
 * A message as the broker stores it in a queue's log (inside the store's encrypted record),
 * version 2 (big-endian; str = u16 length + UTF-8, bytes = u32 length + data):
 *
 * <pre>
 * u8    version = 2
 * i64   brokerTimestampMillis   when the broker accepted it
 * i64   expiresAtMillis         0 = never
 * str   producerPrincipal       the authenticated principal, never a client-supplied name
 * str   producerId              empty = no de-duplication
 * u64   sequence
 * 32    contentDigest           Canonical.contentDigest of headers, payload and producer signature
 *                               (zeros while signing is disabled for benchmarks)
 * u16   header count, then (str key, bytes value) per header
 * bytes payload
 * bytes producerSignature       empty = none
 * ...   the broker's seal (BrokerSeal) to the end of the record, appended by the store's
 *       sealer once the offset is known; absent = unsigned
 * </pre>
 *
 * Version 1 (written before messages were signed) lacks the digest and the seal; it is still
 * read, and such messages are delivered unsigned. {@link #leafFields} reads what the broker's
 * signature covers of an encoded envelope in place, for {@link MessageSigner}.
 *
 * <p>Thread-safety: immutable.
 */
public record MessageEnvelope(long brokerTimestampMillis, long expiresAtMillis, String producerPrincipal,
                              String producerId, long sequence, Bytes contentDigest, Headers headers, Bytes payload,
                              Bytes producerSignature, Bytes brokerSeal) {

    /**
     * The fields of an encoded envelope that its Merkle leaf ({@link Canonical#leaf}) covers,
     * as slices of the encoding (nothing copied): the strings as their UTF-8 bytes, the content
     * digest as its 32 bytes. {@code expiresAtMillis} is not among them: the expiry is not signed.
     */
    public record LeafFields(long brokerTimestampMillis, ByteBuffer producerPrincipal, ByteBuffer producerId, long sequence,
                      ByteBuffer contentDigest) {
    }

    static final byte VERSION = 2;
    private static final byte VERSION_1 = 1;
    static final Bytes NO_DIGEST = Bytes.copyOf(new byte[Canonical.DIGEST_BYTES]);

    public MessageEnvelope {
        if (contentDigest.length() != Canonical.DIGEST_BYTES) {
            throw new IllegalArgumentException("a content digest has 32 bytes");
        }
    }

    /** A message to store, its content digest computed ({@code digest}) or left zero. */
    public static MessageEnvelope of(long brokerTimestampMillis, long expiresAtMillis, String producerPrincipal,
                                     String producerId, long sequence, Headers headers, Bytes payload,
                                     Bytes producerSignature, boolean digest) {
        Bytes contentDigest = digest
                ? Bytes.copyOf(Canonical.contentDigest(headers, Canonical.payloadDigest(payload), producerSignature))
                : NO_DIGEST;
        return new MessageEnvelope(brokerTimestampMillis, expiresAtMillis, producerPrincipal, producerId, sequence,
                contentDigest, headers, payload, producerSignature, Bytes.EMPTY);
    }

    /** This message with the seal the store gave it. */
    public MessageEnvelope withSeal(Bytes seal) {
        return new MessageEnvelope(brokerTimestampMillis, expiresAtMillis, producerPrincipal, producerId, sequence,
                contentDigest, headers, payload, producerSignature, seal);
    }

    public boolean isExpired(long nowMillis) {
        return expiresAtMillis > 0 && nowMillis >= expiresAtMillis;
    }

    /** The encoded size without the seal, for limits. */
    public int encodedSize() {
        int size = 1 + 8 + 8 + 2 + utf8Length(producerPrincipal) + 2 + utf8Length(producerId) + 8
                + Canonical.DIGEST_BYTES + 2;
        for (int i = 0; i < headers.size(); i++) {
            size += 2 + utf8Length(headers.keyAt(i)) + 4 + headers.valueAt(i).length();
        }
        return size + 4 + payload.length() + 4 + producerSignature.length();
    }

    /** The version-2 encoding without the seal (the store's sealer appends it). */
    public ByteBuffer encode() {
        ByteBuffer buf = ByteBuffer.allocate(encodedSize());
        buf.put(VERSION).putLong(brokerTimestampMillis).putLong(expiresAtMillis);
        putString(buf, producerPrincipal);
        putString(buf, producerId);
        buf.putLong(sequence);
        buf.put(contentDigest.asReadOnlyByteBuffer());
        buf.putShort((short) headers.size());
        for (int i = 0; i < headers.size(); i++) {
            putString(buf, headers.keyAt(i));
            putBytes(buf, headers.valueAt(i));
        }
        putBytes(buf, payload);
        putBytes(buf, producerSignature);
        return buf.flip();
    }

    /**
     * The signed fields of the version-2 envelope in {@code encoded}'s remaining bytes, read in
     * place; {@code encoded} is left as it was.
     *
     * @throws IllegalArgumentException if it is not a version-2 envelope or ends before its
     *     content digest
     */
    public static LeafFields leafFields(ByteBuffer encoded) {
        int start = encoded.position();
        int end = encoded.limit();
        try {
            if (start >= end || encoded.get(start) != VERSION) {
                throw new IllegalArgumentException("not a version-" + VERSION + " envelope");
            }
            long timestamp = encoded.getLong(start + 1);
            int principalAt = start + 1 + 8 + 8;
            int principalLength = encoded.getShort(principalAt) & 0xFFFF;
            int producerIdAt = principalAt + 2 + principalLength;
            int producerIdLength = encoded.getShort(producerIdAt) & 0xFFFF;
            int sequenceAt = producerIdAt + 2 + producerIdLength;
            int digestAt = sequenceAt + 8;
            if (digestAt + Canonical.DIGEST_BYTES > end) {
                throw new IllegalArgumentException("truncated message envelope");
            }
            return new LeafFields(timestamp, encoded.slice(principalAt + 2, principalLength),
                    encoded.slice(producerIdAt + 2, producerIdLength), encoded.getLong(sequenceAt),
                    encoded.slice(digestAt, Canonical.DIGEST_BYTES));
        } catch (IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated message envelope", e);
        }
    }

    /**
     * @throws IllegalArgumentException if the bytes are not a version-1 or version-2 envelope
     */
    public static MessageEnvelope decode(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            byte version = buf.get();
            if (version != VERSION && version != VERSION_1) {
                throw new IllegalArgumentException("unknown message envelope version " + version);
            }
            long timestamp = buf.getLong();
            long expires = buf.getLong();
            String principal = getString(buf);
            String producerId = getString(buf);
            long sequence = buf.getLong();
            Bytes digest = NO_DIGEST;
            if (version == VERSION) {
                digest = Bytes.copyOf(bytes, buf.position(), Canonical.DIGEST_BYTES);
                buf.position(buf.position() + Canonical.DIGEST_BYTES);
            }
            int count = buf.getShort() & 0xFFFF;
            Headers.Builder headers = Headers.builder();
            for (int i = 0; i < count; i++) {
                headers.add(getString(buf), getBytes(buf));
            }
            Bytes payload = getBytes(buf);
            Bytes signature = getBytes(buf);
            Bytes seal = Bytes.EMPTY;
            if (version == VERSION_1 && buf.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after the message envelope");
            }
            if (buf.hasRemaining()) {
                seal = Bytes.copyOf(bytes, buf.position(), buf.remaining());
            }
            return new MessageEnvelope(timestamp, expires, principal, producerId, sequence, digest, headers.build(),
                    payload, signature, seal);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated message envelope", e);
        }
    }

    private static int utf8Length(String s) {
        return Utf8.length(s);
    }

    private static void putString(ByteBuffer buf, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        buf.putShort((short) b.length).put(b);
    }

    private static void putBytes(ByteBuffer buf, Bytes b) {
        buf.putInt(b.length());
        buf.put(b.asReadOnlyByteBuffer());
    }

    private static String getString(ByteBuffer buf) {
        int length = buf.getShort() & 0xFFFF;
        String s = new String(buf.array(), buf.arrayOffset() + buf.position(), length, StandardCharsets.UTF_8);
        buf.position(buf.position() + length);
        return s;
    }

    private static Bytes getBytes(ByteBuffer buf) {
        int length = buf.getInt();
        if (length < 0 || length > buf.remaining()) {
            throw new IllegalArgumentException("field length " + length + " exceeds the envelope");
        }
        Bytes b = Bytes.copyOf(buf.array(), buf.arrayOffset() + buf.position(), length);
        buf.position(buf.position() + length);
        return b;
    }
}
