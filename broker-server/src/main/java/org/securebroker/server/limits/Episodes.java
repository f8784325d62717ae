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
    /** Past this many subjects in an episode at once, all are forgotten: a few audit entries more, never unbounded memory. */
    private static final int HARD_LIMIT = 100_000;

    private final Clock clock;
    private final long quietMillis;
    private final ConcurrentMap<String, Long> lastRefusal = new ConcurrentHashMap<>();
    private volatile int pruneAbove = FORGET_ABOVE;

    public Episodes(Clock clock, Duration quiet) {
        this.clock = clock;
        this.quietMillis = quiet.toMillis();
    }

    /** Records a refusal of {@code limit} for {@code subject}; true if it starts an episode. */
    public boolean refused(String limit, String subject) {
        long now = clock.millis();
        String key = limit + '\u0000' + subject;
        Long before = lastRefusal.put(key, now);
        int size = lastRefusal.size();
        if (size > pruneAbove) {
            // pruning walks every subject: done again only once the map has doubled, so it costs O(1) per refusal
            lastRefusal.entrySet().removeIf(e -> now - e.getValue() > quietMillis);
            if (lastRefusal.size() > HARD_LIMIT) {
                lastRefusal.clear();
            }
            pruneAbove = Math.max(FORGET_ABOVE, 2 * lastRefusal.size());
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
