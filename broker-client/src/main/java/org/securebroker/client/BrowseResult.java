package org.securebroker.client;

import java.util.List;

/**
 * One page read by {@link BrokerClient#browse}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param messages the messages, in offset order; empty when the queue retains none at or after
 *     the offset asked for
 * @param nextOffset where the next page starts (unsigned 64-bit value carried in a long)
 */
public record BrowseResult(List<BrowsedMessage> messages, long nextOffset) {

    public BrowseResult {
        messages = List.copyOf(messages);
    }
}
