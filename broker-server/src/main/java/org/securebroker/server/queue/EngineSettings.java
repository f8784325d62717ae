package org.securebroker.server.queue;

import java.time.Duration;

/**
 * Tuning of the queue engine.
 *
 * <p>Thread-safety: immutable.
 *
 * @param ackTimeout a delivery not settled within this time is delivered again
 * @param maxMessageBytes the largest stored message (payload, headers and metadata)
 * @param dedupWindow how many recent sequences per producer are remembered for de-duplication
 * @param dedupMaxProducers how many producers per queue are remembered
 * @param workerThreads threads that run the queues' delivery work
 */
public record EngineSettings(Duration ackTimeout, int maxMessageBytes, int dedupWindow, int dedupMaxProducers,
                             int workerThreads) {

    public static final EngineSettings DEFAULTS = new EngineSettings(Duration.ofSeconds(30), 1024 * 1024, 4096, 10_000,
            Math.max(2, Runtime.getRuntime().availableProcessors()));

    public EngineSettings {
        if (ackTimeout.isNegative() || ackTimeout.isZero()) {
            throw new IllegalArgumentException("ackTimeout must be positive");
        }
        if (maxMessageBytes < 1024 || dedupWindow < 16 || dedupMaxProducers < 1 || workerThreads < 1) {
            throw new IllegalArgumentException("invalid engine settings " + this);
        }
    }

    public EngineSettings withAckTimeout(Duration value) {
        return new EngineSettings(value, maxMessageBytes, dedupWindow, dedupMaxProducers, workerThreads);
    }
}
