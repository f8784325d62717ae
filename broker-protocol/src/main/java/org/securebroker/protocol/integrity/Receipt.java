package org.securebroker.protocol.integrity;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * The broker's signed receipt for one accepted message, returned in PUBLISH_OK: the same leaf
 * and seal the stored message carries, without the message body. Whoever keeps it can show
 * later, offline and with only the broker's public key, that the broker accepted a message
 * with this content digest at this queue, offset and time from this principal. Encoding,
 * version 1 (big-endian; str = u16 length + UTF-8):
 *
 * <pre>
 * u8  version = 1
 * str queue | u64 offset | i64 brokerTimestampMillis | str producerPrincipal | str producerId
 * u64 sequence | 32 contentDigest
 * ... the {@link BrokerSeal} to the end
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
public final class Receipt {

    public static final byte VERSION = 1;

    private final String queue;
    private final long offset;
    private final long brokerTimestampMillis;
    private final String producerPrincipal;
    private final String producerId;
    private final long sequence;
    private final byte[] contentDigest;
    private final BrokerSeal seal;

    public Receipt(String queue, long offset, long brokerTimestampMillis, String producerPrincipal, String producerId,
                   long sequence, byte[] contentDigest, BrokerSeal seal) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.offset = offset;
        this.brokerTimestampMillis = brokerTimestampMillis;
        this.producerPrincipal = Objects.requireNonNull(producerPrincipal, "producerPrincipal");
        this.producerId = Objects.requireNonNull(producerId, "producerId");
        this.sequence = sequence;
        if (contentDigest.length != Canonical.DIGEST_BYTES) {
            throw new IllegalArgumentException("a content digest has 32 bytes");
        }
        this.contentDigest = contentDigest.clone();
        this.seal = Objects.requireNonNull(seal, "seal");
    }

    /** The receipt for a stored message and its seal. */
    public static Receipt of(SignedMessage m) {
        return new Receipt(m.queue(), m.offset(), m.brokerTimestampMillis(), m.producerPrincipal(), m.producerId(),
                m.sequence(), m.contentDigest(), BrokerSeal.decode(m.brokerSignature()));
    }

    public String queue() {
        return queue;
    }

    public long offset() {
        return offset;
    }

    public long brokerTimestampMillis() {
        return brokerTimestampMillis;
    }

    public String producerPrincipal() {
        return producerPrincipal;
    }

    public String producerId() {
        return producerId;
    }

    public long sequence() {
        return sequence;
    }

    /** A copy of the content digest ({@link Canonical#contentDigest}). */
    public byte[] contentDigest() {
        return contentDigest.clone();
    }

    public BrokerSeal seal() {
        return seal;
    }

    /** The Merkle leaf the seal covers. */
    public byte[] leaf() {
        return Canonical.leaf(queue, offset, brokerTimestampMillis, producerPrincipal, producerId, sequence,
                contentDigest);
    }

    /** Whether this receipt is for a message with exactly these headers, payload and producer signature. */
    public boolean isFor(Headers headers, Bytes payload, Bytes producerSignature) {
        return Arrays.equals(contentDigest,
                Canonical.contentDigest(headers, Canonical.payloadDigest(payload), producerSignature));
    }

    public byte[] encode() {
        return encode(queue, offset, brokerTimestampMillis, producerPrincipal, producerId, sequence, contentDigest,
                ByteBuffer.wrap(seal.encode()));
    }

    /**
     * The encoding of a receipt from its parts and an encoded seal (the broker builds receipts
     * from the seals the store returns without decoding them).
     */
    public static byte[] encode(String queue, long offset, long brokerTimestampMillis, String producerPrincipal,
                                String producerId, long sequence, ByteBuffer contentDigest, ByteBuffer seal) {
        byte[] q = queue.getBytes(StandardCharsets.UTF_8);
        byte[] p = producerPrincipal.getBytes(StandardCharsets.UTF_8);
        byte[] id = producerId.getBytes(StandardCharsets.UTF_8);
        if (contentDigest.remaining() != Canonical.DIGEST_BYTES) {
            throw new IllegalArgumentException("a content digest has 32 bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(1 + 2 + q.length + 8 + 8 + 2 + p.length + 2 + id.length + 8
                + Canonical.DIGEST_BYTES + seal.remaining());
        b.put(VERSION).putShort((short) q.length).put(q).putLong(offset).putLong(brokerTimestampMillis);
        b.putShort((short) p.length).put(p).putShort((short) id.length).put(id).putLong(sequence);
        b.put(contentDigest.duplicate()).put(seal.duplicate());
        return b.array();
    }

    private static byte[] encode(String queue, long offset, long ts, String principal, String producerId,
                                 long sequence, byte[] contentDigest, ByteBuffer seal) {
        return encode(queue, offset, ts, principal, producerId, sequence, ByteBuffer.wrap(contentDigest), seal);
    }

    /**
     * @throws IntegrityException {@code MALFORMED} (or {@code UNSIGNED} if empty) if the bytes are
     *     not a version-1 receipt
     */
    public static Receipt decode(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IntegrityException(IntegrityException.Reason.UNSIGNED, "the receipt is empty");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            byte version = b.get();
            if (version != VERSION) {
                throw new IntegrityException(IntegrityException.Reason.MALFORMED, "unknown receipt version " + version);
            }
            String queue = str(b);
            long offset = b.getLong();
            long timestamp = b.getLong();
            String principal = str(b);
            String producerId = str(b);
            long sequence = b.getLong();
            byte[] digest = new byte[Canonical.DIGEST_BYTES];
            b.get(digest);
            return new Receipt(queue, offset, timestamp, principal, producerId, sequence, digest, BrokerSeal.read(b));
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new IntegrityException(IntegrityException.Reason.MALFORMED, "the receipt is truncated or malformed");
        }
    }

    private static String str(ByteBuffer b) {
        int length = b.getShort() & 0xFFFF;
        byte[] s = new byte[length];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "Receipt[" + queue + "@" + Long.toUnsignedString(offset) + ", " + seal + "]";
    }
}
