package org.securebroker.client;

import java.util.Objects;
import java.util.Optional;
import java.time.Instant;

/**
 * A subscription as listed by {@link BrokerClient#listSubscriptions(String)}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the subscription's name
 * @param consumers consumers attached now
 * @param pending retained messages the subscription has not acknowledged: its lag (unsigned
 *     64-bit value carried in a long)
 * @param inFlight messages delivered and not yet settled
 * @param cursor the lowest offset it has not acknowledged (unsigned 64-bit value carried in a
 *     long)
 * @param lastActive the last subscribe, acknowledgement or detach; empty if the broker does not
 *     know
 * @param expiresAt when the broker deletes it if it stays idle; empty if it never expires or
 *     consumers are attached
 */
public record SubscriptionInfo(String name, long consumers, long pending, long inFlight, long cursor,
                               Optional<Instant> lastActive, Optional<Instant> expiresAt) {

    public SubscriptionInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(lastActive, "lastActive");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
