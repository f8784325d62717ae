package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * CREATE_QUEUE (0x20, client to server, admin): creates a queue. Answered by OK.
 *
 * <pre>
 * string queue | u32 maxDeliveries | string deadLetterQueue | i64 defaultTtlMillis
 * | bool requireProducerSignatures
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the new queue's name
 * @param maxDeliveries deliveries before a message is dead-lettered; 0 = never (u32)
 * @param deadLetterQueue where dead-lettered messages go; empty = none
 * @param defaultTtlMillis TTL for messages published without one; 0 = none; never negative
 * @param requireProducerSignatures whether every message must carry a valid signature by a
 *     key registered for its producer's principal
 */
public record CreateQueueFrame(int correlationId, String queue, long maxDeliveries,
                               String deadLetterQueue, long defaultTtlMillis,
                               boolean requireProducerSignatures) implements Frame {

    /** A queue that does not require producer signatures. */
    public CreateQueueFrame(int correlationId, String queue, long maxDeliveries, String deadLetterQueue,
                            long defaultTtlMillis) {
        this(correlationId, queue, maxDeliveries, deadLetterQueue, defaultTtlMillis, false);
    }

    public CreateQueueFrame {
        Objects.requireNonNull(queue, "queue");
        FieldChecks.u32("maxDeliveries", maxDeliveries);
        Objects.requireNonNull(deadLetterQueue, "deadLetterQueue");
        FieldChecks.nonNegative("defaultTtlMillis", defaultTtlMillis);
    }

    @Override
    public FrameType type() {
        return FrameType.CREATE_QUEUE;
    }
}
