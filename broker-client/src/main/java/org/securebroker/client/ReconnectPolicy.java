package org.securebroker.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * How long to wait before each reconnect attempt after the connection was lost, and when to give
 * up. Attempts go to the configured addresses in turn. When the policy gives up, every pending
 * send and request fails with {@code CONNECTION_LOST} and the client stays disconnected.
 *
 * <p>Implementations must be thread-safe; the client calls them from its I/O thread.
 */
@FunctionalInterface
public interface ReconnectPolicy {

    /**
     * The delay before a reconnect attempt.
     *
     * @param attempt 1 for the first attempt after a disconnect, counting up while attempts fail;
     *     reset once a connection is established
     * @return the delay, or empty to stop reconnecting
     */
    Optional<Duration> delayBeforeAttempt(int attempt);

    /** The default: exponential back-off from 100 ms to 5 s with jitter, forever. */
    static ReconnectPolicy defaultPolicy() {
        return exponentialBackoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    /**
     * Exponential back-off with "equal jitter": attempt {@code n} waits between half and all of
     * {@code min(max, initial * 2^(n-1))}, forever.
     */
    static ReconnectPolicy exponentialBackoff(Duration initial, Duration max) {
        return exponentialBackoff(initial, max, ThreadLocalRandom::current);
    }

    /**
     * Exponential back-off with jitter drawn from {@code random} (pass a seeded generator for
     * reproducible tests; it must be safe to use from the client's I/O thread).
     */
    static ReconnectPolicy exponentialBackoff(Duration initial, Duration max, RandomGenerator random) {
        Objects.requireNonNull(random, "random");
        return exponentialBackoff(initial, max, () -> random);
    }

    private static ReconnectPolicy exponentialBackoff(Duration initial, Duration max,
            Supplier<RandomGenerator> random) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException(
                    "need 0 < initial <= max, got initial=" + initial + ", max=" + max);
        }
        long initialNanos = initial.toNanos();
        long maxNanos = max.toNanos();
        return attempt -> {
            int shift = Math.min(Math.max(attempt, 1) - 1, 30);
            long base = initialNanos << shift;
            if (base <= 0 || base > maxNanos || (base >> shift) != initialNanos) {
                base = maxNanos;
            }
            long half = base / 2;
            return Optional.of(Duration.ofNanos(half + random.get().nextLong(base - half + 1)));
        };
    }

    /** Never reconnect: a lost connection fails everything pending with {@code CONNECTION_LOST}. */
    static ReconnectPolicy never() {
        return attempt -> Optional.empty();
    }

    /** This policy, giving up after {@code maxAttempts} failed attempts in a row. */
    default ReconnectPolicy limitAttempts(int maxAttempts) {
        if (maxAttempts < 0) {
            throw new IllegalArgumentException("maxAttempts must not be negative: " + maxAttempts);
        }
        return attempt -> attempt > maxAttempts ? Optional.empty() : delayBeforeAttempt(attempt);
    }
}
