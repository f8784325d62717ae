package org.securebroker.client;

import java.time.Duration;
import java.util.Optional;

/**
 * When to re-authenticate a session that the broker will end at an expiry time, and when to try
 * again after a failed attempt. Pure functions of the current time and the expiry, both in epoch
 * milliseconds, so that tests need no clock.
 *
 * <ul>
 *   <li>Refresh once 80% of the remaining lifetime has passed, but at least {@link #MIN_LEAD}
 *       before the expiry, and never in the past. After a successful re-authentication the next
 *       one waits at least {@link #MIN_INTERVAL}, so that very short lifetimes (or a client clock
 *       far ahead of the broker's) cannot make the client re-authenticate in a tight loop.
 *   <li>After a failure, retry after {@link #FIRST_RETRY}, doubling up to {@link #MAX_RETRY},
 *       but never later than {@link #RETRY_MARGIN} before the expiry; when that moment has
 *       passed, stop: the broker will end the session and the client reconnects.
 * </ul>
 *
 * <p>Thread-safety: stateless.
 */
final class RefreshSchedule {

    static final double REFRESH_FRACTION = 0.8;
    static final Duration MIN_LEAD = Duration.ofSeconds(5);
    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofMinutes(1);
    static final Duration RETRY_MARGIN = Duration.ofMillis(500);
    private static final int MAX_DOUBLINGS = 16;

    private RefreshSchedule() {
    }

    /**
     * The delay before re-authenticating a session that expires at {@code expiresAtMillis}.
     *
     * @param minimum the shortest delay allowed (zero for a new session, {@link #MIN_INTERVAL}
     *     right after a re-authentication)
     */
    static Duration refreshDelay(long nowMillis, long expiresAtMillis, Duration minimum) {
        long remaining = expiresAtMillis - nowMillis;
        long byFraction = (long) (remaining * REFRESH_FRACTION);
        long byLead = remaining - MIN_LEAD.toMillis();
        long delay = Math.max(0, Math.min(byFraction, byLead));
        return Duration.ofMillis(Math.max(delay, minimum.toMillis()));
    }

    /**
     * The delay before retrying after {@code failures} consecutive failed attempts, or empty if
     * no retry can happen in time.
     */
    static Optional<Duration> retryDelay(int failures, long nowMillis, long expiresAtMillis) {
        long latest = expiresAtMillis - RETRY_MARGIN.toMillis() - nowMillis;
        if (latest <= 0) {
            return Optional.empty();
        }
        int doublings = Math.min(Math.max(failures, 1) - 1, MAX_DOUBLINGS);
        long backoff = Math.min(FIRST_RETRY.toMillis() << doublings, MAX_RETRY.toMillis());
        return Optional.of(Duration.ofMillis(Math.min(backoff, latest)));
    }
}
