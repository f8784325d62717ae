package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * PURGE_QUEUE (0x28, client to server, protocol version 2): acknowledges every message stored
 * before it for every subscription, and releases them. Answered by PURGE_OK.
 *
 * <pre>
 * string queue
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue to purge
 */
public record PurgeQueueFrame(int correlationId, String queue) implements Frame {

    public PurgeQueueFrame {
        Objects.requireNonNull(queue, "queue");
    }

    @Override
    public FrameType type() {
        return FrameType.PURGE_QUEUE;
    }
}
