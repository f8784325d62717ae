package org.securebroker.store.subscription;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.securebroker.store.record.OffsetRange;

/**
 * The subscriptions of one log: named cursors with individually acknowledged offsets. Every
 * change applies at once in memory (so {@link #isAcked} sees it) and its future completes when
 * it is durable, which is at most the store's subscription sync interval later. After a crash,
 * changes whose futures had not completed may be lost: their messages are delivered again.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class Subscriptions {

    private final SubscriptionStore store;
    private final String log;

    private final Supplier<List<OffsetRange>> skipped;

    Subscriptions(SubscriptionStore store, String log, Supplier<List<OffsetRange>> skipped) {
        this.store = store;
        this.log = log;
        this.skipped = skipped;
    }

    /**
     * Creates a subscription whose cursor starts at {@code startOffset}, or returns the existing
     * one of that name unchanged.
     */
    public CompletableFuture<SubscriptionSnapshot> create(String name, long startOffset) {
        CompletableFuture<SubscriptionSnapshot> created = store.create(log, name, startOffset);
        for (OffsetRange r : skipped.get()) {
            if (r.to() > startOffset) {
                store.ack(log, name, Math.max(r.from(), startOffset), r.to());
            }
        }
        return created;
    }

    public Optional<SubscriptionSnapshot> get(String name) {
        return Optional.ofNullable(store.get(log, name));
    }

    public List<SubscriptionSnapshot> list() {
        return store.list(log);
    }

    /**
     * Acknowledges one offset. Acknowledging an offset twice is harmless.
     *
     * @throws org.securebroker.store.failure.StoreException {@code SUBSCRIPTION_NOT_FOUND}
     */
    public CompletableFuture<Void> ack(String name, long offset) {
        return store.ack(log, name, offset, offset + 1);
    }

    /** Acknowledges the offsets {@code [from, to)}. */
    public CompletableFuture<Void> ackRange(String name, long from, long to) {
        return store.ack(log, name, from, to);
    }

    /**
     * Moves a subscription to {@code position} in one durable change: every offset below it counts
     * as acknowledged, and every acknowledgement at or above it is forgotten, so those messages are
     * delivered again. The caller checks that {@code position} is within the log's records.
     *
     * @throws org.securebroker.store.failure.StoreException {@code SUBSCRIPTION_NOT_FOUND},
     *     {@code INVALID_ARGUMENT} for a negative position
     */
    public CompletableFuture<Void> seek(String name, long position) {
        return store.seek(log, name, position);
    }

    public boolean isAcked(String name, long offset) {
        return store.isAcked(log, name, offset);
    }

    public CompletableFuture<Void> delete(String name) {
        return store.delete(log, name);
    }

    /**
     * The lowest committed cursor over all subscriptions: every record below it is acknowledged
     * by every subscription, so it may be released.
     *
     * @param whenNone what to return if the log has no subscription
     */
    public long lowWaterMark(long whenNone) {
        return store.lowWaterMark(log, whenNone);
    }
}
