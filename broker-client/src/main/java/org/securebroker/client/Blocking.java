package org.securebroker.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.securebroker.protocol.ErrorCode;

/**
 * How the blocking API methods wait for work done on the I/O thread, and how they rethrow its
 * failures: as a {@link BrokerException} with the caller's stack and the original as cause.
 *
 * <p>Thread-safety: stateless. Never called on the I/O thread.
 */
final class Blocking {

    /** Extra wait beyond a request timeout, so the I/O thread's own timeout normally fires first. */
    static final Duration GRACE = Duration.ofSeconds(1);

    private Blocking() {
    }

    /**
     * Waits for {@code future} up to {@code timeout} plus {@link #GRACE}.
     *
     * @throws BrokerException the failure, TIMEOUT if still not done, or TIMEOUT when interrupted
     *     (the interrupt flag is restored)
     */
    static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
        try {
            return future.get(timeout.plus(GRACE).toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (TimeoutException e) {
            throw new BrokerException(ErrorCode.TIMEOUT, what + " got no answer within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException(ErrorCode.TIMEOUT, "interrupted while waiting for " + what, e);
        }
    }

    /** The value of a future that is already complete, or its failure rethrown. */
    static <T> T join(CompletableFuture<T> done) {
        try {
            return done.join();
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        }
    }

    /** {@code cause} as a BrokerException carrying the caller's stack. */
    static BrokerException rethrow(Throwable cause) {
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof BrokerException be) {
            return be.rethrownHere();
        }
        return new BrokerException(ErrorCode.INTERNAL_ERROR, false,
                "unexpected client failure: " + cause, cause);
    }
}
