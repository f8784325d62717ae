package org.securebroker.store;

import java.time.Duration;

/**
 * Limits on how long and how much a log keeps, applied to whole finished segments on top of
 * {@link Log#releaseBelow}. {@link #UNLIMITED} (the default) keeps everything until released:
 * a queue's unconsumed messages are never dropped unless an operator sets a limit.
 *
 * <p>Thread-safety: immutable.
 *
 * @param maxAge a finished segment is deleted once the next segment is older than this; null = no limit
 * @param maxBytes the oldest finished segments are deleted while the log is larger; 0 = no limit
 */
public record RetentionPolicy(Duration maxAge, long maxBytes) {

    public static final RetentionPolicy UNLIMITED = new RetentionPolicy(null, 0);

    public RetentionPolicy {
        if (maxAge != null && (maxAge.isNegative() || maxAge.isZero())) {
            throw new IllegalArgumentException("retention maxAge must be positive, not " + maxAge);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("retention maxBytes must be >= 0, not " + maxBytes);
        }
    }

    public boolean isUnlimited() {
        return maxAge == null && maxBytes == 0;
    }
}
