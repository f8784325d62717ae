package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * One queue inside QUEUE_LIST.
 *
 * <pre>
 * string name | u64 messages | u32 subscriptions | u32 maxDeliveries | string deadLetterQueue | i64 defaultTtlMillis
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the queue's name
 * @param messages current depth (u64 carried in a long)
 * @param subscriptions number of subscriptions (u32)
 * @param maxDeliveries deliveries before dead-lettering; 0 = never (u32)
 * @param deadLetterQueue dead-letter queue; empty = none
 * @param defaultTtlMillis default TTL; 0 = none; never negative
 */
public record QueueInfo(String name, long messages, long subscriptions, long maxDeliveries,
                        String deadLetterQueue, long defaultTtlMillis) {

    public QueueInfo {
        Objects.requireNonNull(name, "name");
        FieldChecks.u32("subscriptions", subscriptions);
        FieldChecks.u32("maxDeliveries", maxDeliveries);
        Objects.requireNonNull(deadLetterQueue, "deadLetterQueue");
        FieldChecks.nonNegative("defaultTtlMillis", defaultTtlMillis);
    }
}
