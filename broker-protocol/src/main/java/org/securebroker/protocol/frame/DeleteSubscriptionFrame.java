package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * DELETE_SUBSCRIPTION (0x27, client to server, protocol version 2): deletes a subscription of
 * a queue; consumers attached to it are cancelled. Answered by OK.
 *
 * <pre>
 * string queue | string subscription
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue the subscription belongs to
 * @param subscription the subscription to delete
 */
public record DeleteSubscriptionFrame(int correlationId, String queue, String subscription) implements Frame {

    public DeleteSubscriptionFrame {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(subscription, "subscription");
    }

    @Override
    public FrameType type() {
        return FrameType.DELETE_SUBSCRIPTION;
    }
}
