package org.securebroker.protocol.frame;

import java.util.List;

/**
 * SUBSCRIPTION_LIST (0x26, server to client, protocol version 2): answers LIST_SUBSCRIPTIONS
 * with one page, filled up to the negotiated frame size.
 *
 * <pre>
 * u32 count | count x subscription info | bool more
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from LIST_SUBSCRIPTIONS
 * @param subscriptions subscriptions of the queue, by name
 * @param more whether subscriptions after the last of this page remain: the next
 *     LIST_SUBSCRIPTIONS asks for those after its name
 */
public record SubscriptionListFrame(int correlationId, List<SubscriptionInfo> subscriptions, boolean more)
        implements Frame {

    public SubscriptionListFrame {
        subscriptions = List.copyOf(subscriptions);
    }

    /** The last (or only) page. */
    public SubscriptionListFrame(int correlationId, List<SubscriptionInfo> subscriptions) {
        this(correlationId, subscriptions, false);
    }

    @Override
    public FrameType type() {
        return FrameType.SUBSCRIPTION_LIST;
    }
}
