package org.securebroker.protocol.codec;

import java.util.Objects;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.frame.Headers;

/**
 * Encoded sizes of what a sender puts in PUBLISH, ACK, BROWSE_RESULT and SUBSCRIPTION_LIST
 * frames, computed exactly and without encoding, so that a sender can fill frames up to the
 * negotiated frame size; and the argument checks that keep strings encodable. The layouts are those of {@link FrameCodec} and
 * docs/protocol.md, section 5 (sizes count the bytes after the u32 length field, as the frame
 * size does):
 *
 * <pre>
 * PUBLISH  type u8 | flags u8 | correlationId u32 | str queue | u16 count | count x message
 * message  u8 flags | str producerId | u64 sequence | i64 ttlMillis
 *          | u16 headerCount | (str key | bytes value)* | bytes payload | bytes producerSignature
 * ACK      type u8 | flags u8 | correlationId u32 | u32 consumerId | u16 count | count x u64 offset
 * BROWSE_RESULT      type u8 | flags u8 | correlationId u32 | u64 nextOffset | u16 count | count x browsed
 * browsed  u64 offset | i64 brokerTimestampMillis | str producerPrincipal | str producerId | u64 sequence
 *          | u16 headerCount | (str key | bytes value)* | bytes payload | bytes producerSignature
 *          | bytes brokerSignature
 * SUBSCRIPTION_LIST  type u8 | flags u8 | correlationId u32 | u32 count | count x info | bool more
 * info     str name | u32 consumers | u64 pending | u32 inFlight | u64 cursor | i64 lastActiveMillis
 *          | i64 expiresAtMillis
 * </pre>
 *
 * <p>Thread-safety: stateless.
 */
public final class WireSizes {

    private static final int STRING_PREFIX = 2;
    private static final int BYTES_PREFIX = 4;
    /** flags u8 + sequence u64 + ttlMillis i64 + headers count u16. */
    private static final int MESSAGE_FIXED = 1 + 8 + 8 + 2;
    /** consumerId u32 + count u16. */
    private static final int ACK_FIXED = 4 + 2;
    private static final int OFFSET = 8;
    /** offset u64 + brokerTimestampMillis i64 + sequence u64 + headers count u16. */
    private static final int BROWSED_FIXED = 8 + 8 + 8 + 2;
    /** consumers u32 + pending u64 + inFlight u32 + cursor u64 + lastActiveMillis i64 + expiresAtMillis i64. */
    private static final int SUBSCRIPTION_INFO_FIXED = 4 + 8 + 4 + 8 + 8 + 8;

    /** Bytes a BROWSE_RESULT frame counts in its length besides its messages: header, nextOffset and count. */
    public static final int BROWSE_RESULT_OVERHEAD = FrameCodec.FIXED_HEADER_SIZE + 8 + 2;
    /** Bytes a SUBSCRIPTION_LIST frame counts in its length besides its entries: header, count and more. */
    public static final int SUBSCRIPTION_LIST_OVERHEAD = FrameCodec.FIXED_HEADER_SIZE + 4 + 1;

    private WireSizes() {
    }

    /**
     * Checks that {@code value} fits a protocol {@code string} field.
     *
     * @throws IllegalArgumentException naming {@code field} if it is not valid UTF-16 or longer
     *     than 65535 UTF-8 bytes
     */
    public static void checkString(String field, String value) {
        Objects.requireNonNull(value, field);
        int length;
        try {
            length = Utf8.length(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " " + e.getMessage(), e);
        }
        if (length > ProtocolLimits.MAX_STRING_BYTES) {
            throw new IllegalArgumentException(field + " is longer than "
                    + ProtocolLimits.MAX_STRING_BYTES + " UTF-8 bytes");
        }
    }

    /**
     * Checks a queue name: non-empty and a valid protocol string.
     *
     * @throws IllegalArgumentException if not
     */
    public static void checkQueueName(String queue) {
        Objects.requireNonNull(queue, "queue");
        if (queue.isEmpty()) {
            throw new IllegalArgumentException("queue name must not be empty");
        }
        checkString("queue name", queue);
    }

    /** Bytes a PUBLISH frame to {@code queue} counts in its length before its first message. */
    public static int publishFrameOverhead(String queue) {
        return FrameCodec.FIXED_HEADER_SIZE + STRING_PREFIX + Utf8.length(queue) + 2;
    }

    /**
     * Bytes one message adds to a PUBLISH frame, without its producer signature's bytes (their
     * u32 length is counted).
     *
     * @param producerIdUtf8Length the UTF-8 length of the producer id
     */
    public static long publishMessageSize(int producerIdUtf8Length, Headers headers, int payloadLength) {
        // Summed in long from the first term: near Integer.MAX_VALUE an int sum would wrap negative
        // and a message far too large for any frame would look small.
        long size = (long) MESSAGE_FIXED + STRING_PREFIX + producerIdUtf8Length
                + BYTES_PREFIX + payloadLength + BYTES_PREFIX;
        for (int i = 0; i < headers.size(); i++) {
            size += (long) STRING_PREFIX + Utf8.length(headers.keyAt(i)) + BYTES_PREFIX
                    + headers.valueAt(i).length();
        }
        return size;
    }

    /**
     * Bytes one message adds to a BROWSE_RESULT frame.
     *
     * @param producerPrincipal the message's producer principal
     * @param producerId the message's producer id
     */
    public static long browsedMessageSize(String producerPrincipal, String producerId, Headers headers,
                                          int payloadLength, int producerSignatureLength, int brokerSignatureLength) {
        long size = (long) BROWSED_FIXED + STRING_PREFIX + Utf8.length(producerPrincipal) + STRING_PREFIX
                + Utf8.length(producerId) + BYTES_PREFIX + payloadLength + BYTES_PREFIX + producerSignatureLength
                + BYTES_PREFIX + brokerSignatureLength;
        for (int i = 0; i < headers.size(); i++) {
            size += (long) STRING_PREFIX + Utf8.length(headers.keyAt(i)) + BYTES_PREFIX
                    + headers.valueAt(i).length();
        }
        return size;
    }

    /** Bytes one subscription adds to a SUBSCRIPTION_LIST frame. */
    public static int subscriptionInfoSize(String name) {
        return STRING_PREFIX + Utf8.length(name) + SUBSCRIPTION_INFO_FIXED;
    }

    /** Most offsets one ACK frame may carry under {@code maxFrameSize}. */
    public static int ackOffsetsPerFrame(int maxFrameSize) {
        int fit = (maxFrameSize - FrameCodec.FIXED_HEADER_SIZE - ACK_FIXED) / OFFSET;
        return Math.max(1, Math.min(ProtocolLimits.MAX_ACK_OFFSETS, fit));
    }
}
