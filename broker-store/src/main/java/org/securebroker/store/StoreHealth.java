package org.securebroker.store;

/**
 * Whether the store can take writes now.
 *
 * <p>Thread-safety: immutable.
 */
public enum StoreHealth {
    /** Appends are taken. */
    WRITABLE,
    /**
     * The last write failed because the disk is full; appends fail with {@code DISK_FULL}
     * (retriable). The store takes writes again by itself once space is freed.
     */
    DISK_FULL,
    /** An fsync or write failed; the store refuses writes until the process restarts. */
    FAILED,
    CLOSED
}
