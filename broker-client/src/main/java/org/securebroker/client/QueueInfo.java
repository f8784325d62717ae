package org.securebroker.client;

import java.time.Duration;
import java.util.Objects;

/**
 * A queue as listed by {@link BrokerClient#listQueues()}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the queue name
 * @param messages current depth (unsigned 64-bit value carried in a long)
 * @param subscriptions number of subscriptions
 * @param maxDeliveries deliveries before dead-lettering; 0 = never
 * @param deadLetterQueue the dead-letter queue; empty = none
 * @param defaultTtl TTL of messages published without one; {@link Duration#ZERO} = none
 */
public record QueueInfo(String name, long messages, long subscriptions, long maxDeliveries,
                        String deadLetterQueue, Duration defaultTtl) {

    public QueueInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(deadLetterQueue, "deadLetterQueue");
        Objects.requireNonNull(defaultTtl, "defaultTtl");
    }
}
