package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * LIST_SUBSCRIPTIONS (0x25, client to server, protocol version 2): asks for the subscriptions
 * of a queue. Answered by SUBSCRIPTION_LIST.
 *
 * <pre>
 * string queue
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue whose subscriptions to list
 */
public record ListSubscriptionsFrame(int correlationId, String queue) implements Frame {

    public ListSubscriptionsFrame {
        Objects.requireNonNull(queue, "queue");
    }

    @Override
    public FrameType type() {
        return FrameType.LIST_SUBSCRIPTIONS;
    }
}
