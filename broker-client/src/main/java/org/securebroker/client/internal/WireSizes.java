package org.securebroker.client.internal;

import java.util.Objects;
import org.securebroker.client.Message;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.codec.FrameCodec;
import org.securebroker.protocol.frame.Headers;

/**
 * Encoded sizes of what the client sends, computed exactly so that PUBLISH and ACK frames are
 * sized to the negotiated frame limit before they are encoded, and argument checks that keep
 * strings encodable. Follows the layouts of docs/protocol.md, section 5.
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

    private WireSizes() {
    }

    /**
     * The UTF-8 length of {@code value}.
     *
     * @throws IllegalArgumentException if it contains an unpaired surrogate (not encodable)
     */
    public static int utf8Length(String value) {
        return Utf8.length(value);
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
            length = utf8Length(value);
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

    /** Bytes a PUBLISH frame's length field counts before its first message. */
    public static int publishFrameOverhead(String queue) {
        return FrameCodec.FIXED_HEADER_SIZE + STRING_PREFIX + utf8Length(queue) + 2;
    }

    /** Bytes one message adds to a PUBLISH frame (without producer signature). */
    public static long publishMessageSize(int producerIdUtf8Length, Message message) {
        Headers headers = message.headers();
        long size = MESSAGE_FIXED + STRING_PREFIX + producerIdUtf8Length
                + BYTES_PREFIX + message.payloadSize() + BYTES_PREFIX;
        for (int i = 0; i < headers.size(); i++) {
            size += STRING_PREFIX + utf8Length(headers.keyAt(i)) + BYTES_PREFIX
                    + headers.valueAt(i).length();
        }
        return size;
    }

    /** Most offsets one ACK frame may carry under {@code maxFrameSize}. */
    public static int ackOffsetsPerFrame(int maxFrameSize) {
        int fit = (maxFrameSize - FrameCodec.FIXED_HEADER_SIZE - ACK_FIXED) / OFFSET;
        return Math.max(1, Math.min(ProtocolLimits.MAX_ACK_OFFSETS, fit));
    }
}
