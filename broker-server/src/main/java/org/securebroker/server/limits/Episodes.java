package org.securebroker.server.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Groups refusals of one limit and subject into episodes, so that a client hammering a limit is
 * audited once, not once per refusal: an episode starts with a refusal and ends once
 * {@code quiet} has passed without another one. Keeps one timestamp per subject in an episode,
 * and forgets subjects whose episode ended when it grows large.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class Episodes {

    private static final int FORGET_ABOVE = 10_000;

    private final Clock clock;
    private final long quietMillis;
    private final ConcurrentMap<String, Long> lastRefusal = new ConcurrentHashMap<>();

    public Episodes(Clock clock, Duration quiet) {
        this.clock = clock;
        this.quietMillis = quiet.toMillis();
    }

    /** Records a refusal of {@code limit} for {@code subject}; true if it starts an episode. */
    public boolean refused(String limit, String subject) {
        long now = clock.millis();
        String key = limit + '\u0000' + subject;
        Long before = lastRefusal.put(key, now);
        if (lastRefusal.size() > FORGET_ABOVE) {
            lastRefusal.entrySet().removeIf(e -> now - e.getValue() > quietMillis);
        }
        return before == null || now - before > quietMillis;
    }

    /**
     * The refusal to report for {@code limit} on {@code subject}, marked first of its episode
     * or not.
     */
    public Refusal refusal(String limit, String subject, String principal, long value, String setting) {
        return new Refusal(limit, subject, principal, value, setting, refused(limit, subject));
    }
}
