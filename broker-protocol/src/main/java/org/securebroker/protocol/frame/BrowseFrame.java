package org.securebroker.protocol.frame;

import java.util.Objects;
import org.securebroker.protocol.ProtocolLimits;

/**
 * BROWSE (0x2A, client to server, protocol version 2): reads messages of a queue without
 * consuming them (no subscription, cursor or delivery count changes). Answered by BROWSE_RESULT.
 *
 * <pre>
 * string queue | u64 fromOffset | u16 maxMessages (1..1000) | u32 maxBytes (&gt;= 1)
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue to read
 * @param fromOffset the first offset wanted (u64 carried in a long); below the oldest retained
 *     message the answer starts at the oldest
 * @param maxMessages most messages in the answer, 1 to {@link ProtocolLimits#MAX_BROWSE_MESSAGES}
 * @param maxBytes most payload and metadata bytes in the answer (u32, at least 1); the answer
 *     holds at least one message if any exists at or after {@code fromOffset}
 */
public record BrowseFrame(int correlationId, String queue, long fromOffset, int maxMessages, long maxBytes)
        implements Frame {

    public BrowseFrame {
        Objects.requireNonNull(queue, "queue");
        if (maxMessages < 1 || maxMessages > ProtocolLimits.MAX_BROWSE_MESSAGES) {
            throw new IllegalArgumentException("maxMessages " + maxMessages + " is outside [1, "
                    + ProtocolLimits.MAX_BROWSE_MESSAGES + "]");
        }
        FieldChecks.u32("maxBytes", maxBytes);
        if (maxBytes == 0) {
            throw new IllegalArgumentException("maxBytes must be at least 1");
        }
    }

    @Override
    public FrameType type() {
        return FrameType.BROWSE;
    }
}
