package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * DELETE_QUEUE (0x21, client to server, admin): deletes a queue and its messages. Answered
 * by OK.
 *
 * <pre>
 * string queue
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue to delete
 */
public record DeleteQueueFrame(int correlationId, String queue) implements Frame {

    public DeleteQueueFrame {
        Objects.requireNonNull(queue, "queue");
    }

    @Override
    public FrameType type() {
        return FrameType.DELETE_QUEUE;
    }
}
