package org.securebroker.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link BrokerClient#sendAsync} does when {@code maxInFlightSends} messages are already
 * waiting for the broker's acknowledgement.
 *
 * <ul>
 *   <li>{@link #FAIL} (the default): return at once a future failed with {@link BrokerException}
 *       {@code OVERLOADED} (retriable). {@code sendAsync} never blocks.
 *   <li>{@link #block(Duration)}: block the calling thread until there is room, for at most the
 *       given time, then fail as above.
 * </ul>
 *
 * <p>Thread-safety: immutable.
 */
public final class SendBufferPolicy {

    /** Fail immediately with {@code OVERLOADED} when the send buffer is full. */
    public static final SendBufferPolicy FAIL = new SendBufferPolicy(null);

    private final Duration maxWait;

    private SendBufferPolicy(Duration maxWait) {
        this.maxWait = maxWait;
    }

    /**
     * Block the calling thread for at most {@code maxWait} until a send slot is free.
     *
     * @throws IllegalArgumentException if {@code maxWait} is negative or zero
     */
    public static SendBufferPolicy block(Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive, got " + maxWait);
        }
        return new SendBufferPolicy(maxWait);
    }

    /** How long {@code sendAsync} may block for room; empty for {@link #FAIL}. */
    public Optional<Duration> maxWait() {
        return Optional.ofNullable(maxWait);
    }

    @Override
    public String toString() {
        return maxWait == null ? "FAIL" : "block(" + maxWait + ")";
    }
}
