package org.securebroker.store.subscription;

/**
 * How far the subscription state was durable at one moment: its journal generation and the number
 * of entries of that generation's journal that were fdatasynced. The store's authenticated state
 * file records one; on open, the subscription files must reach at least that far, or they were
 * rolled back, shortened or replaced (see {@link SubscriptionStore#open}).
 *
 * <p>Thread-safety: immutable.
 *
 * @param generation the journal generation, which is also the generation of the snapshot that
 *     starts it
 * @param entries how many entries of that generation's journal were durable
 */
public record SubscriptionCheckpoint(long generation, long entries) {

    /** @throws IllegalArgumentException if either value is negative */
    public SubscriptionCheckpoint {
        if (generation < 0 || entries < 0) {
            throw new IllegalArgumentException("a subscription checkpoint's generation and entries are not negative, not ("
                    + generation + ", " + entries + ")");
        }
    }
}
