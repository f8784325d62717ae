package org.securebroker.store;

import java.util.List;
import org.securebroker.store.record.OffsetRange;

/**
 * What an operator's repair of an unavailable log accepted as lost: the offset ranges that are
 * gone for good, and the offset the log continues from (above every offset it ever handed out).
 *
 * @param log the log repaired
 * @param lost the offset ranges whose records were lost; never served, never handed out again
 * @param nextOffset the offset the next append gets
 * @param problem what made the log unavailable
 *
 * <p>Thread-safety: immutable.
 */
public record RepairReport(String log, List<OffsetRange> lost, long nextOffset, String problem) {

    public RepairReport {
        lost = List.copyOf(lost);
    }

    /** How many offsets the repair gave up. */
    public long lostCount() {
        return lost.stream().mapToLong(OffsetRange::count).sum();
    }
}
