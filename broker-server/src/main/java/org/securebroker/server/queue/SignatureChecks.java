package org.securebroker.server.queue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One queue's producer-signature checks: run one at a time off the publishing thread, each
 * followed by its publish, so publishes leave in the order they came. While a check is pending,
 * unsigned publishes to the queue wait behind it too ({@link #busy()}), so a connection that
 * mixes signed and unsigned messages keeps its order.
 *
 * <p>Thread-safety: thread-safe.
 */
final class SignatureChecks {

    private final SerialExecutor executor;
    private final AtomicInteger pending = new AtomicInteger();

    SignatureChecks(Executor pool) {
        this.executor = new SerialExecutor(pool);
    }

    /** Whether a check (and its publish) is waiting or running. */
    boolean busy() {
        return pending.get() > 0;
    }

    /** Runs {@code checkThenPublish} after every earlier one; its future's outcome is the result's. */
    <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> checkThenPublish) {
        pending.incrementAndGet();
        CompletableFuture<T> out = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                checkThenPublish.get().whenComplete((v, e) -> {
                    if (e != null) {
                        out.completeExceptionally(e);
                    } else {
                        out.complete(v);
                    }
                });
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            } finally {
                pending.decrementAndGet();
            }
        });
        return out;
    }
}
