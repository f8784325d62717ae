package org.securebroker.store;

import java.nio.file.Path;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.OffsetRange;

/**
 * Events the store reports to its owner (the broker audits and counts them). Callbacks run on
 * store threads and must return quickly and not call back into the store.
 *
 * <p>Thread-safety: implementations must be thread-safe.
 */
public interface StoreListener {

    StoreListener NONE = new StoreListener() {
    };

    /** Records were found damaged and are quarantined: they will not be served. */
    default void onQuarantine(String log, Path segment, OffsetRange offsets, String reason) {
    }

    /** The store failed (an fsync or write error) and now refuses writes until restarted. */
    default void onFailure(StoreException failure) {
    }

    /**
     * The store's health changed: to {@code DISK_FULL} when a write found the disk full, back to
     * {@code WRITABLE} when writes succeed again, to {@code FAILED} after a failed fsync. Called
     * once per change, so a listener that logs here logs once per episode.
     */
    default void onHealth(StoreHealth health) {
    }

    /** Whole segments were deleted by release or retention; the log now starts at {@code newStartOffset}. */
    default void onSegmentsDeleted(String log, int segments, long newStartOffset) {
    }

    /** A group commit forced {@code files} files in {@code nanos} nanoseconds. */
    default void onCommit(int records, long bytes, int files, long nanos) {
    }
}
