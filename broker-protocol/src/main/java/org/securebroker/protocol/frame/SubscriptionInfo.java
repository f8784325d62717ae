package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * One subscription inside SUBSCRIPTION_LIST (protocol version 2).
 *
 * <pre>
 * string name | u32 consumers | u64 pending | u32 inFlight | u64 cursor | i64 lastActiveMillis
 * | i64 expiresAtMillis
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the subscription's name
 * @param consumers consumers attached now (u32)
 * @param pending retained messages this subscription has not acknowledged, its lag (u64 carried
 *     in a long)
 * @param inFlight messages delivered and not yet settled (u32)
 * @param cursor the lowest offset it has not acknowledged (u64 carried in a long)
 * @param lastActiveMillis epoch millis of the last subscribe, ack or detach; 0 = unknown; never
 *     negative
 * @param expiresAtMillis epoch millis when it expires if it stays idle; 0 = never, or consumers
 *     are attached; never negative
 */
public record SubscriptionInfo(String name, long consumers, long pending, long inFlight, long cursor,
                               long lastActiveMillis, long expiresAtMillis) {

    public SubscriptionInfo {
        Objects.requireNonNull(name, "name");
        FieldChecks.u32("consumers", consumers);
        FieldChecks.u32("inFlight", inFlight);
        FieldChecks.nonNegative("lastActiveMillis", lastActiveMillis);
        FieldChecks.nonNegative("expiresAtMillis", expiresAtMillis);
    }
}
