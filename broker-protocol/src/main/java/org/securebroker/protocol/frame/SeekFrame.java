package org.securebroker.protocol.frame;

import java.util.Objects;
import java.util.Optional;

/**
 * SEEK (0x2C, client to server, protocol version 2): moves a subscription that has no consumer
 * attached to an offset or a point in time. Answered by SEEK_OK with the position it now starts
 * at.
 *
 * <pre>
 * string queue | string subscription | u8 kind (0 = offset, 1 = time) | i64 value
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue the subscription belongs to
 * @param subscription the subscription to move
 * @param kind what {@code value} is
 * @param value an offset (u64 carried in a long) for {@link Kind#OFFSET}, epoch millis for
 *     {@link Kind#TIME} (the first message whose broker timestamp is at or after it)
 */
public record SeekFrame(int correlationId, String queue, String subscription, Kind kind, long value)
        implements Frame {

    /** What a SEEK's value means, with its wire code. */
    public enum Kind {
        /** The value is an offset. */
        OFFSET(0),
        /** The value is a time in epoch millis. */
        TIME(1);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** The u8 on the wire. */
        public int code() {
            return code;
        }

        /** The kind for a wire code, or empty if none has it. */
        public static Optional<Kind> fromCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    public SeekFrame {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(kind, "kind");
    }

    @Override
    public FrameType type() {
        return FrameType.SEEK;
    }
}
