package org.securebroker.server.config;

import java.time.Duration;
import org.securebroker.store.Store;

/**
 * How a queue behaves.
 *
 * <p>Thread-safety: immutable.
 *
 * @param maxDeliveries after this many deliveries a message is dead-lettered; 0 = never
 * @param deadLetterQueue where dead-lettered and expired messages go; empty = dropped (logged)
 * @param defaultTtl time to live for messages that set none; zero = none
 * @param requireProducerSignatures only messages signed with a key registered for their
 *     producer's principal are accepted
 */
public record QueueDefinition(String name, int maxDeliveries, String deadLetterQueue, Duration defaultTtl,
                              boolean requireProducerSignatures) {

    public QueueDefinition(String name, int maxDeliveries, String deadLetterQueue, Duration defaultTtl) {
        this(name, maxDeliveries, deadLetterQueue, defaultTtl, false);
    }

    public QueueDefinition {
        Store.validateLogName(name);
        if (maxDeliveries < 0) {
            throw new IllegalArgumentException("maxDeliveries must be >= 0, not " + maxDeliveries);
        }
        deadLetterQueue = deadLetterQueue == null ? "" : deadLetterQueue;
        if (!deadLetterQueue.isEmpty()) {
            Store.validateLogName(deadLetterQueue);
            if (deadLetterQueue.equals(name)) {
                throw new IllegalArgumentException("queue '" + name + "' cannot be its own dead-letter queue");
            }
        }
        defaultTtl = defaultTtl == null ? Duration.ZERO : defaultTtl;
        if (defaultTtl.isNegative()) {
            throw new IllegalArgumentException("defaultTtl must not be negative");
        }
    }

    public static QueueDefinition simple(String name) {
        return new QueueDefinition(name, 0, "", Duration.ZERO);
    }

    public boolean hasDeadLetterQueue() {
        return !deadLetterQueue.isEmpty();
    }
}
