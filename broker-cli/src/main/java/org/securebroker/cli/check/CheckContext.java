package org.securebroker.cli.check;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.securebroker.server.config.BrokerConfig;

/**
 * What every check works from: the configuration, the time of the check, the thresholds, and the
 * environment (where the key-encryption key may come from).
 *
 * <p>Thread-safety: immutable.
 *
 * @param environment the process environment, as the broker would see it
 */
public record CheckContext(BrokerConfig config, Instant now, Thresholds thresholds, Map<String, String> environment) {

    /**
     * @param expiryWarning certificates expiring within this are medium findings (within 7 days,
     *     high)
     * @param keyMaxAge keys older than this should be rotated
     * @param staleAfter users without a successful login for this long are stale
     * @param unusedSince grants not used since this time are candidates to remove
     */
    public record Thresholds(Duration expiryWarning, Duration keyMaxAge, Duration staleAfter, Instant unusedSince) {

        public static final Duration DEFAULT_EXPIRY_WARNING = Duration.ofDays(30);
        public static final Duration DEFAULT_KEY_MAX_AGE = Duration.ofDays(365);
        public static final Duration DEFAULT_STALE_AFTER = Duration.ofDays(90);
        public static final Duration DEFAULT_UNUSED_FOR = Duration.ofDays(30);

        public Thresholds {
            Objects.requireNonNull(expiryWarning, "expiryWarning");
            Objects.requireNonNull(keyMaxAge, "keyMaxAge");
            Objects.requireNonNull(staleAfter, "staleAfter");
            Objects.requireNonNull(unusedSince, "unusedSince");
        }

        /** The documented defaults: 30 days, 365 days, 90 days, and 30 days back from {@code now}. */
        public static Thresholds defaults(Instant now) {
            return new Thresholds(DEFAULT_EXPIRY_WARNING, DEFAULT_KEY_MAX_AGE, DEFAULT_STALE_AFTER,
                    now.minus(DEFAULT_UNUSED_FOR));
        }
    }

    public CheckContext {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(thresholds, "thresholds");
        environment = Map.copyOf(environment);
    }

    /** A duration as whole days for messages: {@code 10 days}, {@code 1 day}, {@code less than a day}. */
    static String days(Duration d) {
        long n = d.toDays();
        if (n == 0) {
            return "less than a day";
        }
        return n + (Math.abs(n) == 1 ? " day" : " days");
    }
}
