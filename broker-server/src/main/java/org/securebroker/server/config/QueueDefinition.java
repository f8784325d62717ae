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
 * @param depth this queue's depth limits; null = the broker's ({@code queues.maxDepth...})
 */
public record QueueDefinition(String name, int maxDeliveries, String deadLetterQueue, Duration defaultTtl,
                              boolean requireProducerSignatures, Depth depth) {

    /** What a queue at its depth limit does with one more message. */
    public enum Overflow {
        /** Refuse new publishes with the retriable {@code QUEUE_FULL} until consumers catch up. */
        REJECT,
        /**
         * Take the new message; move the oldest ones out of the way: each subscription's
         * unacknowledged copy goes to the dead-letter queue (reason {@code overflow}), or is dropped
         * when the queue has none.
         */
        DEAD_LETTER_OLDEST
    }

    /**
     * How deep a queue may grow: the messages retained for its subscriptions (from the oldest one
     * a subscription has not acknowledged to the newest) and the bytes its log holds on disk. 0 is
     * no limit.
     */
    public record Depth(long maxMessages, long maxBytes, Overflow overflow) {
        /** What a fresh install gives every queue. */
        public static final Depth DEFAULT = new Depth(1_000_000, 1L << 30, Overflow.REJECT);

        public Depth {
            if (maxMessages < 0 || maxBytes < 0) {
                throw new IllegalArgumentException("depth limits must be >= 0");
            }
            java.util.Objects.requireNonNull(overflow, "overflow");
        }
    }

    public QueueDefinition(String name, int maxDeliveries, String deadLetterQueue, Duration defaultTtl) {
        this(name, maxDeliveries, deadLetterQueue, defaultTtl, false, null);
    }

    public QueueDefinition(String name, int maxDeliveries, String deadLetterQueue, Duration defaultTtl,
                           boolean requireProducerSignatures) {
        this(name, maxDeliveries, deadLetterQueue, defaultTtl, requireProducerSignatures, null);
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

    /** This queue's depth limits, or {@code fallback} (the broker's) when it has none of its own. */
    public Depth depthOr(Depth fallback) {
        return depth != null ? depth : fallback;
    }

    public boolean hasDeadLetterQueue() {
        return !deadLetterQueue.isEmpty();
    }
}
