package org.securebroker.store;

import java.util.List;
import org.securebroker.store.record.OffsetRange;

/**
 * What opening the store found and did: per log, the torn tail cut from its last segment and
 * the ranges quarantined because they failed their checks.
 *
 * <p>Thread-safety: immutable.
 */
public record RecoveryReport(List<LogReport> logs, long subscriptionJournalTruncatedBytes, long elapsedMillis) {

    public RecoveryReport {
        logs = List.copyOf(logs);
    }

    /** Damaged records found in one log; they are never served. */
    public record Quarantined(String segmentFile, OffsetRange offsets, long position, long length, String reason) {
    }

    /**
     * @param truncatedBytes bytes of a torn tail (never acknowledged) cut from the last segment
     * @param truncatedRecords record starts found in those bytes
     * @param crashRecovered whether the log had not been closed cleanly (its last segment was
     *     recovered as after a crash, and the offsets reserved for it are skipped)
     * @param lost offset ranges an operator's repair accepted as lost during this open
     */
    public record LogReport(String log, int segments, long startOffset, long endOffset, long truncatedBytes,
                            int truncatedRecords, List<Quarantined> quarantined, List<String> notes,
                            boolean crashRecovered, List<OffsetRange> lost) {
        public LogReport {
            quarantined = List.copyOf(quarantined);
            notes = List.copyOf(notes);
            lost = List.copyOf(lost);
        }

        public boolean isClean() {
            return truncatedBytes == 0 && quarantined.isEmpty() && notes.isEmpty() && lost.isEmpty();
        }
    }

    public boolean isClean() {
        return subscriptionJournalTruncatedBytes == 0 && logs.stream().allMatch(LogReport::isClean);
    }

    public LogReport log(String name) {
        return logs.stream().filter(l -> l.log().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no report for log '" + name + "'"));
    }
}
