package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * LIST_SUBSCRIPTIONS (0x25, client to server, protocol version 2): asks for a page of the
 * subscriptions of a queue, by name, those after {@code after}. Answered by SUBSCRIPTION_LIST.
 *
 * <pre>
 * string queue | string after
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue whose subscriptions to list
 * @param after only subscriptions whose names sort after this (by UTF-16 code units, as
 *     {@link String#compareTo} does); empty for the first page
 */
public record ListSubscriptionsFrame(int correlationId, String queue, String after) implements Frame {

    public ListSubscriptionsFrame {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(after, "after");
    }

    /** The first page. */
    public ListSubscriptionsFrame(int correlationId, String queue) {
        this(correlationId, queue, "");
    }

    @Override
    public FrameType type() {
        return FrameType.LIST_SUBSCRIPTIONS;
    }
}
