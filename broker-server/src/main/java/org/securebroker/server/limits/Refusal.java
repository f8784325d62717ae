package org.securebroker.server.limits;

/**
 * A limit the broker enforced: a request refused, a connection closed or a producer slowed.
 *
 * <p>Thread-safety: immutable.
 *
 * @param limit which limit, as metrics and the audit log name it ({@code connections},
 *     {@code queues}, {@code subscriptions}, {@code consumers}, {@code publish-rate},
 *     {@code publish-byte-rate}, {@code queue-depth}, {@code unauthenticated-per-address},
 *     {@code unauthenticated}, {@code authenticated})
 * @param subject whom it limits: a principal, a source address or a queue
 * @param principal the principal it concerns, or null (before login)
 * @param value the limit in force
 * @param setting the configuration key that sets it, for the operator
 * @param firstOfEpisode whether this is the first refusal of an episode ({@link Episodes}):
 *     only those are audited
 */
public record Refusal(String limit, String subject, String principal, long value, String setting,
                      boolean firstOfEpisode) {
}
