package org.securebroker.store.commit;

import org.securebroker.store.failure.StoreException;

/**
 * Thrown through a committer's round once the writer has failed for good (by {@link Round#force},
 * by {@link Round#write} after a failure, or as returned by {@link Round#fail}), so the round stops
 * at once. Catching it changes nothing: the writer has already failed.
 *
 * <p>Thread-safety: immutable.
 */
public final class FailStop extends RuntimeException {

    FailStop(StoreException failure) {
        super(failure.getMessage(), failure, false, false);
    }

    /** The failure every request of the writer completes with. */
    public StoreException failure() {
        return (StoreException) getCause();
    }
}
