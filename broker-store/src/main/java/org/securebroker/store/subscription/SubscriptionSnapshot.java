package org.securebroker.store.subscription;

import java.util.List;
import org.securebroker.store.record.OffsetRange;

/**
 * The acknowledgement state of one subscription at one moment: every offset below
 * {@code committed} is acknowledged, and so are the offsets in {@code ackedAbove}.
 *
 * <p>Thread-safety: immutable.
 */
public record SubscriptionSnapshot(String log, String name, long committed, List<OffsetRange> ackedAbove) {

    public SubscriptionSnapshot {
        ackedAbove = List.copyOf(ackedAbove);
    }

    public boolean isAcked(long offset) {
        if (offset < committed) {
            return true;
        }
        for (OffsetRange r : ackedAbove) {
            if (r.contains(offset)) {
                return true;
            }
        }
        return false;
    }
}
