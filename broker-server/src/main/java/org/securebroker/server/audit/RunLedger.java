package org.securebroker.server.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.server.audit.AuditVerifier.Finding;
import org.securebroker.server.audit.AuditVerifier.FindingKind;

/**
 * Follows the broker's runs through a log the verifier reads in order, and finds the entries that
 * were signed by a later run than the one that wrote them. A run ends cleanly with a final
 * checkpoint; the next run's recovery checkpoint ends one that did not, sealing what it left
 * unsigned ({@link FindingKind#SIGNED_BY_RECOVERY}). A {@code broker.start} that comes while the
 * run before has not ended either way follows an unclean stop that an older broker left unmarked
 * ({@link FindingKind#UNMARKED_UNCLEAN_STOP}). An unclean stop that left nothing unsigned is a
 * warning, not a finding.
 *
 * <p>The verifier calls it only for lines whose chain (and, for checkpoints, signature and count)
 * it has verified.
 *
 * <p>Thread-safety: not thread-safe (one verification's state).
 */
final class RunLedger {

    /** The entry the broker writes once it listens: a new run has begun. */
    static final String BROKER_START = "broker.start";

    private final long anchorSeq;
    private final List<String> warnings;
    private final List<Finding> findings = new ArrayList<>();
    /** Whether the run before has ended with a final or a recovery checkpoint (or there was none). */
    private boolean runEnded = true;

    /**
     * @param anchorSeq the anchored checkpoint's seq (findings at or before it were reported when it
     *     was saved), or 0 without an anchor
     * @param warnings where unclean stops that left nothing unsigned are reported
     */
    RunLedger(long anchorSeq, List<String> warnings) {
        this.anchorSeq = anchorSeq;
        this.warnings = warnings;
    }

    List<Finding> findings() {
        return findings;
    }

    /**
     * A verified checkpoint.
     *
     * @param firstUnsigned the first entry since the previous checkpoint, or null if there is none
     * @param previous the line before the checkpoint, or null
     * @return null, or why a recovery checkpoint's range is not the entries it seals
     */
    String checkpoint(AuditEntry checkpoint, AuditEntry firstUnsigned, AuditEntry previous) {
        if (Boolean.TRUE.equals(checkpoint.details().get(AuditFormat.RECOVERED_MARK))) {
            runEnded = true;
            return recovery(checkpoint, firstUnsigned, previous);
        }
        if (Boolean.TRUE.equals(checkpoint.details().get(AuditFormat.FINAL))) {
            runEnded = true;
        }
        return null;
    }

    /** A verified entry other than a checkpoint, with the same arguments as {@link #checkpoint}. */
    void entry(AuditEntry entry, AuditEntry firstUnsigned, AuditEntry previous) {
        if (!BROKER_START.equals(entry.type())) {
            return;
        }
        if (!runEnded) {
            uncleanStopUnmarked(entry, firstUnsigned, previous);
        }
        runEnded = false;
    }

    /** The range a recovery checkpoint names must be the entries it seals; they are a finding. */
    private String recovery(AuditEntry checkpoint, AuditEntry firstUnsigned, AuditEntry previous) {
        Object from = checkpoint.details().get(AuditFormat.FROM);
        Object to = checkpoint.details().get(AuditFormat.TO);
        String stopped = previous == null ? "an unclean stop"
                : "unclean stop after " + AuditFormat.formatTime(previous.time());
        if (firstUnsigned == null) {
            if (from != null) {
                return "the recovery checkpoint names seq " + from + " to " + to + " as unsigned, but no entry precedes "
                        + "it since the previous checkpoint";
            }
            warnings.add(checkpoint.location() + " seq " + checkpoint.seq() + ": the recovery checkpoint records an "
                    + stopped + "; the run that stopped had signed every entry it wrote");
            return null;
        }
        long first = firstUnsigned.seq();
        long last = previous.seq();
        if (!Long.valueOf(first).equals(from) || !Long.valueOf(last).equals(to)) {
            return "the recovery checkpoint names seq " + from + " to " + to + " as unsigned, but the entries it seals "
                    + "are seq " + first + " to " + last;
        }
        findings.add(finding(checkpoint, FindingKind.SIGNED_BY_RECOVERY, first, previous, range(first, last)
                + " signed by the recovery checkpoint at start (" + AuditFormat.formatTime(checkpoint.time())
                + "), not by the run that wrote them (" + stopped + "): while no broker ran, they could have been "
                + "changed, removed or added without detection"));
        return null;
    }

    private void uncleanStopUnmarked(AuditEntry start, AuditEntry firstUnsigned, AuditEntry previous) {
        if (firstUnsigned == null) {
            warnings.add(start.location() + " seq " + start.seq() + ": a broker started after a run that stopped "
                    + "without its final checkpoint, and no recovery checkpoint marks the unclean stop; that run had "
                    + "signed every entry it wrote");
            return;
        }
        long first = firstUnsigned.seq();
        long last = previous.seq();
        findings.add(finding(start, FindingKind.UNMARKED_UNCLEAN_STOP, first, previous, "a broker started after a "
                + "run that stopped without its final checkpoint, and no recovery checkpoint marks the unclean stop (a "
                + "log written by a broker before recovery checkpoints existed; the last line before it is at "
                + AuditFormat.formatTime(previous.time()) + "): " + range(first, last) + " left unsigned before this "
                + "broker.start; only a checkpoint of a later run signs them, so they could have been changed without "
                + "detection"));
    }

    private Finding finding(AuditEntry at, FindingKind kind, long from, AuditEntry last, String message) {
        boolean reported = anchorSeq > 0 && at.seq() <= anchorSeq;
        Instant stoppedAfter = last.time();
        return new Finding(at.file(), at.line(), at.seq(), kind, from, last.seq(), stoppedAfter, reported, message);
    }

    private static String range(long from, long to) {
        return from == to ? "entry " + from + " was" : "entries " + from + "-" + to + " (" + (to - from + 1)
                + " entries) were";
    }
}
