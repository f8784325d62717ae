package org.securebroker.server.queue;

import java.time.Duration;

/**
 * Tuning of the queue engine.
 *
 * <p>Thread-safety: immutable.
 *
 * @param ackTimeout a delivery not settled within this time is delivered again
 * @param maxMessageBytes the largest payload of one message; its headers and metadata may add up to
 *     {@link #MAX_METADATA_BYTES}
 * @param dedupWindow how many recent sequences per producer are remembered for de-duplication
 * @param dedupMaxProducers how many producers per queue are remembered
 * @param workerThreads threads that run the queues' delivery work
 * @param dedupRestoreBytes at start, de-duplication is rebuilt from at least the last
 *     {@code dedupWindow} records of each queue and at least this many bytes of them: at least
 *     the store's largest group commit, so that every record whose outcome a failed fsync left
 *     unknown to its producer is remembered, and a retry of it is recognized
 * @param recentMessagesBytes recently stored messages kept decoded, all queues together
 */
public record EngineSettings(Duration ackTimeout, int maxMessageBytes, int dedupWindow, int dedupMaxProducers,
                             int workerThreads, long dedupRestoreBytes, long recentMessagesBytes) {

    /** Recent messages' budget when none is given: an eighth of the heap, as {@code memory.recentMessagesSize} resolves. */
    public static long defaultRecentMessagesBytes() {
        return Math.max(1, Runtime.getRuntime().maxMemory() / 8);
    }

    public EngineSettings(Duration ackTimeout, int maxMessageBytes, int dedupWindow, int dedupMaxProducers,
                          int workerThreads, long dedupRestoreBytes) {
        this(ackTimeout, maxMessageBytes, dedupWindow, dedupMaxProducers, workerThreads, dedupRestoreBytes,
                defaultRecentMessagesBytes());
    }

    /**
     * The most a stored message may add to its payload: headers, principal, producer id and
     * signature, digest and timestamps. A frame keeps as much room beside the largest payload.
     */
    public static final int MAX_METADATA_BYTES = 64 * 1024;

    /** The largest record a queue stores: the largest payload with its metadata. */
    public int maxEnvelopeBytes() {
        return maxMessageBytes + MAX_METADATA_BYTES;
    }

    /** The store's default largest group commit. */
    public static final long DEFAULT_DEDUP_RESTORE_BYTES = 8L << 20;

    public static final EngineSettings DEFAULTS = new EngineSettings(Duration.ofSeconds(30), 1024 * 1024, 4096, 10_000,
            Math.max(2, Runtime.getRuntime().availableProcessors()));

    /** Settings that rebuild de-duplication from {@link #DEFAULT_DEDUP_RESTORE_BYTES} at least. */
    public EngineSettings(Duration ackTimeout, int maxMessageBytes, int dedupWindow, int dedupMaxProducers,
                          int workerThreads) {
        this(ackTimeout, maxMessageBytes, dedupWindow, dedupMaxProducers, workerThreads, DEFAULT_DEDUP_RESTORE_BYTES);
    }

    public EngineSettings {
        if (ackTimeout.isNegative() || ackTimeout.isZero()) {
            throw new IllegalArgumentException("ackTimeout must be positive");
        }
        if (maxMessageBytes < 1024 || dedupWindow < 16 || dedupMaxProducers < 1 || workerThreads < 1
                || dedupRestoreBytes < 0 || recentMessagesBytes < 1) {
            throw new IllegalArgumentException("invalid engine settings " + this);
        }
    }

    public EngineSettings withAckTimeout(Duration value) {
        return new EngineSettings(value, maxMessageBytes, dedupWindow, dedupMaxProducers, workerThreads,
                dedupRestoreBytes, recentMessagesBytes);
    }

    public EngineSettings withRecentMessagesBytes(long value) {
        return new EngineSettings(ackTimeout, maxMessageBytes, dedupWindow, dedupMaxProducers, workerThreads,
                dedupRestoreBytes, value);
    }
}
