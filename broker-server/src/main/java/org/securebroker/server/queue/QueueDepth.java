package org.securebroker.server.queue;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.store.Log;

/**
 * How deep one queue is: the messages its log retains for its subscriptions (from their
 * low-water mark to the end) and the bytes it holds on disk, plus what is on its way to the
 * disk. The publish path asks {@link #excess} on every publish, so it reads a cached low-water
 * mark instead of asking the store each time: refreshed whenever acknowledgements release
 * records ({@link #lowWaterMarkRead}) and at most {@link #LOW_WATER_MARK_MAX_AGE_MILLIS} after it
 * was read. The mark only rises, so a stale one overstates the depth, never understates it.
 *
 * <p>Thread-safety: thread-safe.
 */
final class QueueDepth {

    /** How stale the low-water mark the publish path uses may be. */
    static final long LOW_WATER_MARK_MAX_AGE_MILLIS = 100;

    /** What a queue holds past one of its limits: {@code held} in words, the limit and its key. */
    record Excess(String held, long limit, String key) {
    }

    private final Log log;
    private final Clock clock;
    /** Messages and record bytes handed to the log and not yet durable. */
    private final AtomicLong pendingMessages = new AtomicLong();
    private final AtomicLong pendingBytes = new AtomicLong();
    private volatile long cachedLowWaterMark = -1;
    private volatile long cachedLowWaterMarkAt;

    QueueDepth(Log log, Clock clock) {
        this.log = log;
        this.clock = clock;
    }

    /** The messages retained now, from the subscriptions' low-water mark as the store has it. */
    long messages() {
        return retainedFrom(log.subscriptions().lowWaterMark(log.startOffset()));
    }

    /**
     * The messages the log holds from {@code low} to its end: offsets skipped after an unclean
     * stop or a failed write hold none.
     */
    long retainedFrom(long low) {
        long end = log.endOffset();
        long from = Math.min(low, end);
        return from < end ? Math.max(0, end - from - log.skippedCount(from, end)) : 0;
    }

    /** The low-water mark was just read (acknowledgements released records): the check uses it. */
    void lowWaterMarkRead(long lwm) {
        cachedLowWaterMark = lwm;
        cachedLowWaterMarkAt = clock.millis();
    }

    /** {@code count} messages of {@code bytes} record bytes were handed to the log. */
    void appending(int count, long bytes) {
        pendingMessages.addAndGet(count);
        pendingBytes.addAndGet(bytes);
    }

    /** ...and are durable now, or failed. */
    void appended(int count, long bytes) {
        pendingMessages.addAndGet(-count);
        pendingBytes.addAndGet(-bytes);
    }

    /**
     * What a publish of {@code count} messages of {@code bytes} record bytes would take the queue
     * past, or null when it fits {@code limits}.
     */
    Excess excess(QueueDefinition.Depth limits, int count, long bytes) {
        if (limits.maxMessages() > 0) {
            long retained = retainedFrom(lowWaterMark()) + pendingMessages.get();
            if (retained + count > limits.maxMessages()) {
                return new Excess(retained + " messages", limits.maxMessages(), "maxDepth");
            }
        }
        if (limits.maxBytes() > 0) {
            // segments released (for replay retention at the limit, say) no longer count: their deletion is on its way
            long onDisk = log.retainedSizeBytes() + pendingBytes.get();
            if (onDisk + bytes > limits.maxBytes()) {
                return new Excess(onDisk + " bytes on disk", limits.maxBytes(), "maxDepthSize");
            }
        }
        return null;
    }

    /** The low-water mark, at most {@link #LOW_WATER_MARK_MAX_AGE_MILLIS} old. */
    private long lowWaterMark() {
        long now = clock.millis();
        long cached = cachedLowWaterMark;
        if (cached < 0 || now - cachedLowWaterMarkAt >= LOW_WATER_MARK_MAX_AGE_MILLIS || now < cachedLowWaterMarkAt) {
            cached = log.subscriptions().lowWaterMark(log.startOffset());
            lowWaterMarkRead(cached);
        }
        return cached;
    }
}
