package org.securebroker.protocol.frame;

import java.util.List;

/**
 * SUBSCRIPTION_LIST (0x26, server to client, protocol version 2): answers LIST_SUBSCRIPTIONS.
 *
 * <pre>
 * u32 count | count x subscription info
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from LIST_SUBSCRIPTIONS
 * @param subscriptions the queue's subscriptions, in the server's order
 */
public record SubscriptionListFrame(int correlationId, List<SubscriptionInfo> subscriptions) implements Frame {

    public SubscriptionListFrame {
        subscriptions = List.copyOf(subscriptions);
    }

    @Override
    public FrameType type() {
        return FrameType.SUBSCRIPTION_LIST;
    }
}
