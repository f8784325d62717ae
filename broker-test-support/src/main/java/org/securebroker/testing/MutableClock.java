package org.securebroker.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until the test moves it. Handed to the code under test (a broker's
 * {@code BrokerContext.withClock}), it lets a test make token lifetimes, back-off windows, ack
 * deadlines and TTLs pass at once and exactly, instead of sleeping through them: the test can
 * then also show what holds one millisecond before a deadline, which real time cannot.
 *
 * <p>Time only moves forward ({@link #advance}, {@link #advanceTo}); a clock that jumps back is a
 * different scenario and would need its own, deliberate method.
 *
 * <p>Thread-safety: thread-safe. The instant is shared by every view {@link #withZone} makes, and
 * an advance is seen by all threads reading the clock afterwards.
 */
public final class MutableClock extends Clock {

    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    private MutableClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /** A clock standing at {@code start}, in UTC. */
    public static MutableClock at(Instant start) {
        return new MutableClock(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
    }

    /**
     * A clock standing at the current system time, truncated to whole seconds (JWT times have
     * second precision, so a token minted now expires exactly {@code lifetime} after the clock).
     * Code that also meets the real clock (TLS certificates, files' times) sees a plausible time.
     */
    public static MutableClock atSystemTime() {
        return at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    /**
     * Moves the clock forward.
     *
     * @return the new time
     * @throws IllegalArgumentException if {@code amount} is negative
     */
    public Instant advance(Duration amount) {
        Objects.requireNonNull(amount, "amount");
        if (amount.isNegative()) {
            throw new IllegalArgumentException("the clock only moves forward, not by " + amount);
        }
        return now.updateAndGet(t -> t.plus(amount));
    }

    /**
     * Moves the clock forward to {@code time}.
     *
     * @throws IllegalArgumentException if {@code time} is before the clock's time
     */
    public Instant advanceTo(Instant time) {
        Objects.requireNonNull(time, "time");
        return now.updateAndGet(t -> {
            if (time.isBefore(t)) {
                throw new IllegalArgumentException("the clock only moves forward: it is at " + t + ", not going back to "
                        + time);
            }
            return time;
        });
    }

    /** As {@link #advanceTo(Instant)}, in epoch milliseconds (the broker's wire times). */
    public Instant advanceToMillis(long epochMillis) {
        return advanceTo(Instant.ofEpochMilli(epochMillis));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** A view in another zone that shares (and moves with) this clock's instant. */
    @Override
    public Clock withZone(ZoneId other) {
        return other.equals(zone) ? this : new MutableClock(now, other);
    }

    @Override
    public String toString() {
        return "MutableClock[" + now.get() + "," + zone + "]";
    }
}
