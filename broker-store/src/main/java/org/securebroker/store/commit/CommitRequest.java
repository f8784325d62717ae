package org.securebroker.store.commit;

import java.util.concurrent.CompletableFuture;

/**
 * One request to a {@link GroupCommit}: what its owner wants written, and the future its
 * submitter waits on. Owners subclass it with their request's content and with how its result
 * is made ({@link #result()}).
 *
 * <p>Thread-safety: a request is built by one thread and handed to the writer by
 * {@link GroupCommit#submit}; from then on the writer thread owns it. Its future may be observed
 * from any thread.
 *
 * @param <T> what the future completes with
 */
public abstract class CommitRequest<T> {

    private final CompletableFuture<T> future = new CompletableFuture<>();
    private final long weight;
    private Throwable error;

    /**
     * @param weight the request's share of the writer's bounds (bytes for the store's appends, 1
     *     for an audit entry); 0 for a request no bound should refuse
     */
    protected CommitRequest(long weight) {
        // Checked before Object's constructor runs: a refused request never comes into existence,
        // so no subclass (the class is extended outside its package) can get hold of a half-built
        // one, through a finalizer or otherwise.
        this(checkWeight(weight), weight);
    }

    /** The constructor above, once {@code weight} was checked. */
    private CommitRequest(Void unused, long weight) {
        this.weight = weight;
    }

    private static Void checkWeight(long weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("a request's weight is 0 or more, not " + weight);
        }
        return null;
    }

    /** Completes once the round that carried the request is durable, or fails. */
    public final CompletableFuture<T> future() {
        return future;
    }

    public final long weight() {
        return weight;
    }

    /**
     * Fails this request alone, during a round: nothing of it was written (its log was deleted,
     * its event cannot be encoded, the disk was full and the write undone). The future completes
     * with {@code cause} when the round ends; the other requests of the round are unaffected.
     */
    public final void fail(Throwable cause) {
        this.error = cause;
    }

    /** Whether {@link #fail} was called. */
    public final boolean failed() {
        return error != null;
    }

    /**
     * The value the future completes with, called once the round that carried the request is
     * durable (on the thread that completes it, see {@link GroupCommit.Settings#completionThread()}).
     */
    protected abstract T result();

    /** Completes the future: with {@code failure} if the writer failed, else as the round left it. */
    final void complete(Throwable failure) {
        if (failure != null) {
            future.completeExceptionally(failure);
        } else if (error != null) {
            future.completeExceptionally(error);
        } else {
            T value;
            try {
                value = result();
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
                return;
            }
            future.complete(value);
        }
    }
}
