package org.securebroker.server.audit;

import java.time.Instant;

/**
 * What opening a log found when the run before did not stop cleanly, i.e. the log does not end
 * with the final checkpoint that {@link AuditLog#close()} writes: how many entries that run left
 * unsigned, and when it last wrote. The opening writer seals them with a recovery checkpoint
 * before anything else.
 *
 * <p>Thread-safety: immutable.
 *
 * @param entries entries after the last checkpoint (checkpoints not counted); 0 when the run's
 *     last line is a checkpoint that is not final
 * @param from the first of them (seq), or 0 when there are none
 * @param to the last of them (seq), or 0 when there are none
 * @param lastWritten the time of the last complete line the run wrote, or null for a log without one
 * @param tornBytes the length of an incomplete last line that was moved aside, 0 if none
 */
record UncleanStop(long entries, long from, long to, Instant lastWritten, long tornBytes) {

    /**
     * The unclean stop the tail shows, or null when the log is new or ends with a final
     * checkpoint (and nothing after it).
     */
    static UncleanStop of(LogTail tail, AuditEntry last) {
        boolean closedCleanly = last == null
                || (last.isCheckpoint() && Boolean.TRUE.equals(last.details().get(AuditFormat.FINAL)));
        if (closedCleanly && tail.tornBytes() == 0) {
            return null;
        }
        long entries = tail.sinceCheckpoint();
        long to = entries > 0 ? last.seq() : 0;
        long from = entries > 0 ? to - entries + 1 : 0;
        return new UncleanStop(entries, from, to, last == null ? null : last.time(), tail.tornBytes());
    }

    /** The recovery checkpoint's {@code reason}: what it seals and why. */
    String reason() {
        String what = entries == 0
                ? "the previous run ended without its final checkpoint; every entry it wrote is signed by its own "
                        + "checkpoints"
                : (entries == 1 ? "seq " + from + " (1 entry) was" : "seq " + from + " to " + to + " (" + entries
                        + " entries) were") + " not signed by the run that wrote them and are signed by this checkpoint";
        return "recovered after an unclean stop: " + what + (tornBytes > 0 ? "; its incomplete last line was moved "
                + "aside (audit.recovered follows)" : "");
    }
}
