package org.securebroker.store.commit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.securebroker.store.failure.StoreException;

/**
 * What the owner of a {@link GroupCommit} does with a round: encode its requests and write them
 * through the {@link Round}; the writer forces what was written and completes the requests. The
 * owner also says how its failures read, so callers get the owner's exception type and wording.
 *
 * <p>Thread-safety: every method but {@link #closed} and {@link #overloaded} runs on the writer
 * thread only, one at a time; those two run on the submitting thread and must only build an
 * exception.
 *
 * @param <R> the owner's requests
 */
public interface Committer<R extends CommitRequest<?>> {

    /**
     * Writes one round: {@code batch} holds the requests queued since the last round, in
     * submission order (it may be empty: an idle round, or the last one). Write every byte through
     * {@code round}; mark requests that were not written with {@link CommitRequest#fail}.
     *
     * @throws IOException (or any exception) to fail the writer for good
     */
    void commit(List<R> batch, Round round) throws IOException;

    /**
     * After the round's files were forced, before any request completes: publish what became
     * durable (readers' limits, sequence numbers, metrics).
     *
     * @param filesForced how many files the round forced at its end
     */
    default void durable(List<R> batch, int filesForced) {
    }

    /**
     * The exception the writer fails with.
     *
     * @param doing what failed: {@link Round#WRITING}, {@link Round#FSYNC}, what the owner passed
     *     to {@link Round#fail}, or {@link Round#COMMITTING} for an exception the owner did not name
     * @param file the file concerned, or null if unknown
     */
    StoreException failure(String doing, Path file, Throwable cause);

    /** Told once, after the round that failed the writer stopped and before any request fails. */
    default void failed(StoreException failure) {
    }

    /** The refusal of requests and tasks submitted once the writer is closing. */
    StoreException closed();

    /** The refusal of a request that would exceed the writer's backlog bound. */
    default StoreException overloaded(R request) {
        return new StoreException(StoreException.Kind.OVERLOADED, "too much is waiting for the disk; retry when "
                + "earlier requests complete");
    }

    /** The writer thread ends (after its last round): close what only the writer thread used. */
    default void stopped() {
    }
}
