package org.securebroker.client;

import java.time.Duration;
import java.util.Objects;
import org.securebroker.protocol.codec.WireSizes;

/**
 * What {@link BrokerClient#createQueue(QueueSpec)} creates.
 *
 * <pre>{@code
 * client.createQueue(QueueSpec.named("orders").withMaxDeliveries(5).withDeadLetterQueue("orders.dlq"));
 * }</pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the queue name
 * @param maxDeliveries deliveries before a message is dead-lettered; 0 = never
 * @param deadLetterQueue where dead-lettered messages go; empty = dropped
 * @param defaultTtl time to live of messages published without one; {@link Duration#ZERO} = none
 * @param requireProducerSignatures whether the broker accepts only messages signed by a key
 *     registered for their producer's principal
 */
public record QueueSpec(String name, long maxDeliveries, String deadLetterQueue, Duration defaultTtl,
                        boolean requireProducerSignatures) {

    private static final long U32_MAX = 0xFFFF_FFFFL;

    public QueueSpec {
        WireSizes.checkQueueName(name);
        if (maxDeliveries < 0 || maxDeliveries > U32_MAX) {
            throw new IllegalArgumentException("maxDeliveries must be in [0, " + U32_MAX + "], got " + maxDeliveries);
        }
        Objects.requireNonNull(deadLetterQueue, "deadLetterQueue");
        if (!deadLetterQueue.isEmpty()) {
            WireSizes.checkQueueName(deadLetterQueue);
        }
        Objects.requireNonNull(defaultTtl, "defaultTtl");
        if (defaultTtl.isNegative()) {
            throw new IllegalArgumentException("defaultTtl must not be negative, got " + defaultTtl);
        }
    }

    /** A queue without dead-lettering and without a default TTL. */
    public static QueueSpec named(String name) {
        return new QueueSpec(name, 0, "", Duration.ZERO, false);
    }

    /** A copy with the given maximum delivery count (0 = never dead-letter). */
    public QueueSpec withMaxDeliveries(long maxDeliveries) {
        return new QueueSpec(name, maxDeliveries, deadLetterQueue, defaultTtl, requireProducerSignatures);
    }

    /** A copy with the given dead-letter queue (empty = none). */
    public QueueSpec withDeadLetterQueue(String deadLetterQueue) {
        return new QueueSpec(name, maxDeliveries, deadLetterQueue, defaultTtl, requireProducerSignatures);
    }

    /** A copy with the given default TTL ({@link Duration#ZERO} = none). */
    public QueueSpec withDefaultTtl(Duration defaultTtl) {
        return new QueueSpec(name, maxDeliveries, deadLetterQueue, defaultTtl, requireProducerSignatures);
    }

    /** A copy that requires (or not) producer signatures on every message. */
    public QueueSpec withRequiredProducerSignatures(boolean required) {
        return new QueueSpec(name, maxDeliveries, deadLetterQueue, defaultTtl, required);
    }
}
