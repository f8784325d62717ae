package org.securebroker.protocol.frame;

import java.util.List;

/**
 * QUEUE_LIST (0x23, server to client): answers LIST_QUEUES.
 *
 * <pre>
 * u32 count | count x queue info
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from LIST_QUEUES
 * @param queues the queues, in the server's order
 */
public record QueueListFrame(int correlationId, List<QueueInfo> queues) implements Frame {

    public QueueListFrame {
        queues = List.copyOf(queues);
    }

    @Override
    public FrameType type() {
        return FrameType.QUEUE_LIST;
    }
}
