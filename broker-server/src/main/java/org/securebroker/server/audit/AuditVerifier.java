package org.securebroker.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.Closeables;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.PrivateDirectories;

/**
 * Checks an audit directory offline: every file present and in sequence, every line a
 * well-formed entry, sequence numbers consecutive from 1, every {@code prev} the SHA-256 of the
 * line before (across files), every checkpoint signed by one of the given keys, and the log
 * ending with a checkpoint. It stops at the first problem and says where it is and what most
 * likely happened (an entry edited, deleted, inserted or reordered; a file missing; the tail cut
 * off or torn; a signature that does not verify). With an {@link Anchor} saved by an earlier
 * run, it also detects a log rolled back to an older copy or rewritten since.
 *
 * <p>Findings: a log can verify and still have entries that were not signed by the run that
 * wrote them. A run that did not stop cleanly leaves its last entries unsigned; the next run
 * seals them with a recovery checkpoint ({@link AuditLog}). While no broker ran, nothing
 * protected them, so the verifier lists each such range as a {@link Finding}
 * ({@link FindingKind#SIGNED_BY_RECOVERY}), as well as the unclean stops an older broker left
 * unmarked, seen where a {@code broker.start} follows a run that has neither a final nor a
 * recovery checkpoint ({@link FindingKind#UNMARKED_UNCLEAN_STOP}); {@link RunLedger} keeps that
 * account. Findings at or before an anchored checkpoint were there when the anchor was saved, so
 * they are marked as reported before.
 *
 * <p>The unsigned tail: entries after the last checkpoint, a last checkpoint that is not final,
 * and an incomplete last line are problems, unless {@code allowUnsignedTail} is given <em>and</em>
 * a broker is writing the log now: some process holds the directory's {@code audit.lock} (the
 * writer's exclusive lock, tested with a momentary shared lock that never blocks a writer).
 * While that writer runs, the tail is protected by the chain it continues from memory (an edited
 * or removed line breaks the {@code prev} of its next entry) and its next checkpoint signs it.
 * A stopped broker's tail has neither protection; on a copy of the directory nobody can tell,
 * so the tail is never excused there.
 *
 * <p>What cannot be detected: changes to the entries after the last checkpoint, which no
 * signature covers yet, and a log cut back to an earlier checkpoint when no anchor says that a
 * later one existed.
 *
 * <p>Thread-safety: stateless.
 */
public final class AuditVerifier {

    /** How far past a broken line the verifier looks to tell an insertion from a reordering. */
    private static final int LOOKAHEAD = 64;

    private AuditVerifier() {
    }

    /** What kind of problem was found. */
    public enum ProblemKind {
        /** No audit directory, or no audit file in it. */
        NO_LOG,
        /** The first file (audit-000001.jsonl) is missing. */
        MISSING_FIRST_FILE,
        /** A file between two others is missing. */
        MISSING_FILE,
        /** A file other than the last is empty. */
        EMPTY_FILE,
        /** A file cannot be read. */
        UNREADABLE,
        /** A line is not a well-formed entry (not JSON, a member missing or of the wrong kind). */
        MALFORMED,
        /** The first entry is not seq 1 chained to 64 zeros: the beginning of the log was removed. */
        MISSING_START,
        /** An entry's bytes no longer hash to the next entry's {@code prev}. */
        EDITED,
        /** Sequence numbers skip: entries were removed. */
        DELETED,
        /** A line that is not part of the chain sits between two entries that chain to each other. */
        INSERTED,
        /** Entries are in the wrong order. */
        REORDERED,
        /** A file ends without a checkpoint although a later file follows. */
        FILE_NOT_CLOSED,
        /** The last line has no newline: a crash or a cut during a write. */
        TORN_LINE,
        /** Entries after the last checkpoint are not signed. */
        UNSIGNED_TAIL,
        /**
         * The log ends with a checkpoint that is not the final one of a clean shutdown: entries
         * after it were cut together with the final checkpoint, or the broker runs or crashed.
         */
        NOT_FINAL,
        /** A checkpoint names a key id none of the given keys has. */
        UNKNOWN_KEY,
        /** A checkpoint's signature does not verify. */
        BAD_SIGNATURE,
        /** A checkpoint's entry count does not match the entries since the previous checkpoint. */
        BAD_COUNT,
        /** The anchored checkpoint is missing or different: the log was rolled back or rewritten. */
        ROLLBACK
    }

    /** What kind of finding: entries a later run signed, not the run that wrote them. */
    public enum FindingKind {
        /**
         * A recovery checkpoint, written when the broker started after an unclean stop, signed
         * entries the previous run had left unsigned.
         */
        SIGNED_BY_RECOVERY,
        /**
         * A {@code broker.start} follows a run that ended with neither a final nor a recovery
         * checkpoint (a log written by a broker before recovery checkpoints existed): that run's
         * unsigned entries were signed only by a later run's checkpoint.
         */
        UNMARKED_UNCLEAN_STOP
    }

    /**
     * Entries that the log's signatures cover, but not the signature of the run that wrote them:
     * between the unclean stop and the next start nothing protected them, so they could have been
     * changed, removed or added without detection.
     *
     * @param file where the evidence is: the recovery checkpoint, or the {@code broker.start}
     * @param line its line number
     * @param seq its sequence number
     * @param from the first entry concerned (seq)
     * @param to the last entry concerned (seq)
     * @param stoppedAfter the time of the last line the stopped run wrote
     * @param beforeAnchor whether it is at or before the anchored checkpoint: the verification
     *     that saved the anchor reported it already
     */
    public record Finding(String file, long line, long seq, FindingKind kind, long from, long to, Instant stoppedAfter,
                          boolean beforeAnchor, String message) {
        /** How many entries it concerns. */
        public long entries() {
            return to - from + 1;
        }

        /** {@code file:line seq N: message}. */
        @Override
        public String toString() {
            return file + ":" + line + " seq " + seq + ": " + message;
        }
    }

    /** Whether a broker writes the log now, as far as the verifier could tell. */
    public enum WriterState {
        /** Not asked: {@code allowUnsignedTail} was not given, or the log ends signed and final. */
        NOT_CHECKED,
        /** A process holds the directory's {@code audit.lock}: a broker writes the log now. */
        RUNNING,
        /** Nobody holds the lock, or there is none (a copy): no broker writes this log now. */
        NOT_RUNNING,
        /** The lock file could not be opened or tested. */
        UNKNOWN
    }

    /**
     * The first problem found.
     *
     * @param file the file's name
     * @param line the line number, from 1; 0 when the problem is the file itself
     * @param seq the entry's sequence number, or -1 when unknown
     */
    public record Problem(String file, long line, long seq, ProblemKind kind, String message) {
        /** {@code file:line seq N: message}. */
        @Override
        public String toString() {
            return (line > 0 ? file + ":" + line : file) + (seq > 0 ? " seq " + seq : "") + ": " + message;
        }
    }

    /** A checkpoint as the report describes it, with the SHA-256 of its line. */
    public record Checkpoint(String file, long line, long seq, Instant time, String hash, String keyId,
                             boolean isFinal) {
    }

    /**
     * A checkpoint an auditor saw verified, kept off the broker's host, so that a later
     * verification can tell that the log still contains it unchanged: the log was not rolled
     * back to an older copy, nor rewritten.
     */
    public record Anchor(String file, long seq, String hash, Instant time) {

        private static final ObjectMapper JSON = new ObjectMapper();
        private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

        public static Anchor of(Checkpoint checkpoint) {
            return new Anchor(checkpoint.file(), checkpoint.seq(), checkpoint.hash(), checkpoint.time());
        }

        /**
         * Reads an anchor file: {@code {"file":...,"seq":...,"hash":...,"time":...}}.
         *
         * @throws IOException if it cannot be read or is not an anchor
         */
        public static Anchor read(Path path) throws IOException {
            JsonNode n = JSON.readTree(AtomicFiles.read(path, 4096));
            if (n == null || !n.path("file").isTextual() || !n.path("seq").canConvertToLong() || n.path("seq").asLong() < 1
                    || !HASH.matcher(n.path("hash").asText("")).matches() || !n.path("time").isTextual()) {
                throw new IOException(path + " is not an audit anchor (expected {\"file\", \"seq\", \"hash\", \"time\"})");
            }
            try {
                return new Anchor(n.get("file").asText(), n.get("seq").asLong(), n.get("hash").asText(),
                        Instant.parse(n.get("time").asText()));
            } catch (DateTimeParseException e) {
                throw new IOException(path + " is not an audit anchor: bad time", e);
            }
        }

        /** Writes the anchor atomically. */
        public void write(Path path) throws IOException {
            ObjectNode n = JSON.createObjectNode();
            n.put("file", file);
            n.put("seq", seq);
            n.put("hash", hash);
            n.put("time", AuditFormat.formatTime(time));
            Path target = path.toAbsolutePath();
            PrivateDirectories.create(AtomicFiles.directoryOf(target));
            AtomicFiles.write(DefaultFileLayer.INSTANCE, target,
                    ByteBuffer.wrap((JSON.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * The outcome: {@link #ok()} or the first {@link #problem()}, with what was read up to there.
     *
     * @param files the audit files found
     * @param entries entries read, checkpoints not included
     * @param checkpoints checkpoints read (and verified)
     * @param lastSeq the last sequence number read
     * @param lastCheckpoint the last verified checkpoint, or null
     * @param unsigned entries after the last checkpoint
     * @param warnings what is not a problem but worth knowing
     * @param keyIds the ids of the keys that signed the checkpoints read
     * @param findings entries signed by a later run than the one that wrote them, in log order
     * @param writer whether a broker writes the log now, if that was asked
     */
    public record Report(Path dir, Problem problem, int files, long entries, long checkpoints, long lastSeq,
                         Checkpoint lastCheckpoint, long unsigned, List<String> warnings, Set<String> keyIds,
                         List<Finding> findings, WriterState writer) {
        public Report {
            warnings = List.copyOf(warnings);
            keyIds = Set.copyOf(keyIds);
            findings = List.copyOf(findings);
        }

        public boolean ok() {
            return problem == null;
        }

        /** The findings after the anchored checkpoint (all of them without an anchor). */
        public List<Finding> newFindings() {
            return findings.stream().filter(f -> !f.beforeAnchor()).toList();
        }
    }

    /**
     * Verifies the log in {@code dir}.
     *
     * @param keys the public keys whose signatures are accepted (the current audit key and any
     *     earlier ones)
     * @param anchor a checkpoint the log must contain unchanged, or null
     * @param allowUnsignedTail whether entries after the last checkpoint, a last checkpoint that
     *     is not final and an incomplete last line are warnings rather than problems when a
     *     broker writes the log now (holds {@code dir/audit.lock}); they are problems whenever it
     *     does not, whatever this says
     */
    public static Report verify(Path dir, List<VerifyingKey> keys, Anchor anchor,
                                boolean allowUnsignedTail) {
        return verify(dir, keys, anchor, allowUnsignedTail, () -> writerState(dir));
    }

    /** As above, with the answer to "does a broker write the log now?" given, for tests. */
    static Report verify(Path dir, List<VerifyingKey> keys, Anchor anchor, boolean allowUnsignedTail,
                         Supplier<WriterState> writer) {
        return new Run(dir, keys, anchor, allowUnsignedTail, writer).verify();
    }

    private static WriterState writerState(Path dir) {
        return switch (WriterLock.probe(dir)) {
            case HELD -> WriterState.RUNNING;
            case FREE -> WriterState.NOT_RUNNING;
            case UNKNOWN -> WriterState.UNKNOWN;
        };
    }

    /** One line as read, with its hash and (for a checkpoint) the bytes its signature covers. */
    private record Line(String file, long number, int fileIndex, boolean terminated, AuditEntry entry, String hash,
                        byte[] signed, String error) {
        boolean ok() {
            return error == null && terminated;
        }

        long seq() {
            return entry == null ? -1 : entry.seq();
        }

        boolean chainsTo(Line before) {
            return ok() && entry.seq() == before.entry.seq() + 1 && entry.prev().equals(before.hash);
        }

        String where() {
            return file + ":" + number;
        }
    }

    /** Signals that verification stopped at a problem. */
    private static final class Stop extends Exception {
        Stop() {
            super(null, null, false, false);
        }
    }

    /** One verification's state. */
    private static final class Run {
        private final Path dir;
        private final Map<String, VerifyingKey> keys = new LinkedHashMap<>();
        private final Anchor anchor;
        private final boolean allowUnsignedTail;
        private final Supplier<WriterState> writerProbe;
        private final MessageDigest digest = AuditFormat.sha256();
        private final List<String> warnings = new ArrayList<>();
        private final RunLedger runs;
        private WriterState writer = WriterState.NOT_CHECKED;
        private final Set<String> keyIds = new LinkedHashSet<>();
        private final Deque<Line> ahead = new ArrayDeque<>();
        private int[] numbers = new int[0];
        private int fileIndex = -1;
        private LineReader reader;
        private Problem problem;
        private long entries;
        private long checkpoints;
        private long sinceCheckpoint;
        private Line firstUnsigned;
        private Checkpoint lastCheckpoint;
        private boolean anchorSeen;
        private Line previous;

        Run(Path dir, List<VerifyingKey> keys, Anchor anchor, boolean allowUnsignedTail,
            Supplier<WriterState> writerProbe) {
            this.dir = dir;
            keys.forEach(k -> this.keys.put(k.id(), k));
            this.anchor = anchor;
            this.allowUnsignedTail = allowUnsignedTail;
            this.writerProbe = writerProbe;
            this.runs = new RunLedger(anchor == null ? 0 : anchor.seq(), warnings);
        }

        Report verify() {
            try {
                checkFiles();
                Line line;
                while ((line = next()) != null) {
                    check(line);
                }
                checkEnd();
            } catch (Stop e) {
                // problem holds what was found
            } finally {
                closeReader();
            }
            return new Report(dir, problem, numbers.length, entries, checkpoints, previous == null ? 0 : previous.seq(),
                    lastCheckpoint, sinceCheckpoint, warnings, keyIds, runs.findings(), writer);
        }

        private Stop stop(String file, long line, long seq, ProblemKind kind, String message) {
            problem = new Problem(file, line, seq, kind, message);
            return new Stop();
        }

        private Stop stop(Line at, ProblemKind kind, String message) {
            return stop(at.file, at.number, at.seq(), kind, message);
        }

        /** The files: present, numbered from 1 without gaps, none empty but the last. */
        private void checkFiles() throws Stop {
            if (!Files.isDirectory(dir)) {
                throw stop(dir.toString(), 0, -1, ProblemKind.NO_LOG, "no such directory");
            }
            try {
                numbers = AuditFormat.fileNumbers(dir);
            } catch (IOException e) {
                throw stop(dir.toString(), 0, -1, ProblemKind.UNREADABLE, "cannot list the directory: " + e);
            }
            if (numbers.length == 0) {
                throw stop(dir.toString(), 0, -1, ProblemKind.NO_LOG, "no audit files (audit-NNNNNN.jsonl) here");
            }
            if (numbers[0] != 1) {
                throw stop(AuditFormat.fileName(numbers[0]), 0, -1, ProblemKind.MISSING_FIRST_FILE,
                        AuditFormat.fileName(1) + " is missing: the log starts at " + AuditFormat.fileName(numbers[0])
                                + ", so its beginning was removed");
            }
            for (int i = 1; i < numbers.length; i++) {
                if (numbers[i] != numbers[i - 1] + 1) {
                    String missing = numbers[i] == numbers[i - 1] + 2 ? AuditFormat.fileName(numbers[i - 1] + 1)
                            : AuditFormat.fileName(numbers[i - 1] + 1) + " to " + AuditFormat.fileName(numbers[i] - 1);
                    throw stop(AuditFormat.fileName(numbers[i]), 0, -1, ProblemKind.MISSING_FILE, missing
                            + " is missing between " + AuditFormat.fileName(numbers[i - 1]) + " and "
                            + AuditFormat.fileName(numbers[i]) + ": a whole file was removed");
                }
            }
            for (int i = 0; i < numbers.length - 1; i++) {
                String name = AuditFormat.fileName(numbers[i]);
                try {
                    if (Files.size(dir.resolve(name)) == 0) {
                        throw stop(name, 0, -1, ProblemKind.EMPTY_FILE, "the file is empty but later files follow: "
                                + "its entries were removed");
                    }
                } catch (IOException e) {
                    throw stop(name, 0, -1, ProblemKind.UNREADABLE, "cannot read the file: " + e);
                }
            }
        }

        private void check(Line line) throws Stop {
            if (!line.terminated) {
                torn(line);
                return;
            }
            if (line.error != null) {
                throw stop(line, ProblemKind.MALFORMED, "not an audit entry: " + line.error);
            }
            AuditEntry e = line.entry;
            if (previous == null) {
                if (e.seq() != 1 || !e.prev().equals(AuditFormat.ZERO_HASH)) {
                    throw stop(line, ProblemKind.MISSING_START, "the log must start with seq 1 chained to 64 zeros, "
                            + "but starts with seq " + e.seq() + ": its first entries were removed");
                }
            } else if (!line.chainsTo(previous)) {
                classify(previous, line);
            }
            if (previous != null && previous.fileIndex != line.fileIndex && !previous.entry.isCheckpoint()) {
                throw stop(previous, ProblemKind.FILE_NOT_CLOSED, previous.file + " does not end with a checkpoint, "
                        + "although " + line.file + " follows: its last entries were removed");
            }
            if (anchor != null && e.seq() == anchor.seq()) {
                if (!e.isCheckpoint() || !line.hash.equals(anchor.hash())) {
                    throw stop(line, ProblemKind.ROLLBACK, "this is not the anchored checkpoint (seq " + anchor.seq()
                            + " of " + AuditFormat.formatTime(anchor.time()) + " in " + anchor.file() + ", SHA-256 "
                            + anchor.hash() + "): the log was rewritten after the anchor was saved");
                }
                anchorSeen = true;
            }
            if (e.isCheckpoint()) {
                checkpoint(line);
            } else {
                runs.entry(e, firstUnsigned == null ? null : firstUnsigned.entry, previous == null ? null
                        : previous.entry);
                entries++;
                sinceCheckpoint++;
                if (firstUnsigned == null) {
                    firstUnsigned = line;
                }
            }
            previous = line;
        }

        private void checkpoint(Line line) throws Stop {
            AuditEntry e = line.entry;
            String keyId = e.keyId();
            VerifyingKey key = keys.get(keyId);
            if (key == null) {
                throw stop(line, ProblemKind.UNKNOWN_KEY, "the checkpoint is signed with key id "
                        + AuditFormat.quote(keyId) + ", which none of the given keys has (" + String.join(", ",
                        keys.keySet()) + "); pass that key's public key with --key, if it is a genuine audit key");
            }
            if (!key.verify(AuditFormat.decodeSignature(e.sig()), line.signed)) {
                throw stop(line, ProblemKind.BAD_SIGNATURE, "the checkpoint's signature does not verify with key "
                        + AuditFormat.quote(keyId) + ": the checkpoint line was changed after it was signed, or forged");
            }
            long counted = (Long) e.details().get(AuditFormat.ENTRIES);
            if (counted != sinceCheckpoint) {
                throw stop(line, ProblemKind.BAD_COUNT, "the checkpoint counts " + counted + " entries since the "
                        + "previous checkpoint, but " + sinceCheckpoint + " precede it");
            }
            String badRange = runs.checkpoint(e, firstUnsigned == null ? null : firstUnsigned.entry,
                    previous == null ? null : previous.entry);
            if (badRange != null) {
                throw stop(line, ProblemKind.BAD_COUNT, badRange);
            }
            boolean isFinal = (Boolean) e.details().get(AuditFormat.FINAL);
            keyIds.add(keyId);
            checkpoints++;
            sinceCheckpoint = 0;
            firstUnsigned = null;
            lastCheckpoint = new Checkpoint(line.file, line.number, e.seq(), e.time(), line.hash, keyId, isFinal);
        }

        /**
         * Whether an unsigned or torn tail is excused: only with {@code allowUnsignedTail}, and only
         * while a broker writes the log (asked once, when the first tail is seen).
         */
        private boolean tailExcused() {
            if (!allowUnsignedTail) {
                return false;
            }
            if (writer == WriterState.NOT_CHECKED) {
                writer = writerProbe.get();
            }
            return writer == WriterState.RUNNING;
        }

        /** Why the tail was not excused, for the problem's message. */
        private String notExcused() {
            if (!allowUnsignedTail) {
                return " (--allow-unsigned-tail makes it a warning while a broker is writing this directory)";
            }
            String lock = dir.resolve(WriterLock.FILE).toString();
            if (writer == WriterState.UNKNOWN) {
                return "; --allow-unsigned-tail does not excuse it: whether a broker holds " + lock + " cannot be "
                        + "told (it cannot be opened or locked)";
            }
            return "; --allow-unsigned-tail does not excuse it: no broker holds " + lock + ", so none is writing this "
                    + "log now (the broker is stopped, or this is a copy); a broker that stops cleanly ends its log "
                    + "with a final checkpoint, and one that did not seals the tail with a recovery checkpoint when "
                    + "it starts again";
        }

        /**
         * Says what most likely happened when {@code line} does not continue the chain from
         * {@code before}, looking a little further ahead: the line after a removed entry skips a
         * number; an inserted line is followed by one that continues from the entry before it;
         * reordered entries turn up later; an edited entry no longer hashes to the next one's
         * {@code prev}.
         */
        private void classify(Line before, Line line) throws Stop {
            long expected = before.seq() + 1;
            Line after = peek(0);
            if (after != null && after.chainsTo(before) && !belongsLater(line)) {
                throw stop(line, ProblemKind.INSERTED, "this line is not part of the chain: the next line ("
                        + after.where() + ", seq " + after.seq() + ") continues from seq " + before.seq() + " ("
                        + before.where() + "), so this line was inserted");
            }
            if (line.seq() == expected) {
                throw stop(before, ProblemKind.EDITED, "the entry was changed after it was written: the SHA-256 of "
                        + "this line does not match the 'prev' of the next entry (seq " + line.seq() + ", "
                        + line.where() + "), which was recorded when the entry was written");
            }
            if (line.seq() > expected) {
                Line missing = findAhead(expected);
                if (missing != null) {
                    throw stop(line, ProblemKind.REORDERED, "entries are out of order: seq " + line.seq() + " comes "
                            + "after seq " + before.seq() + " (" + before.where() + ") but before seq " + expected
                            + " (" + missing.where() + ")");
                }
                long gap = line.seq() - expected;
                throw stop(line, ProblemKind.DELETED, (gap == 1 ? "seq " + expected + " is"
                        : "seq " + expected + " to " + (line.seq() - 1) + " (" + gap + " entries) are") + " missing "
                        + "between seq " + before.seq() + " (" + before.where() + ") and this entry: entries were "
                        + "deleted");
            }
            if (line.seq() == before.seq() && line.entry.prev().equals(before.entry.prev())) {
                throw stop(line, ProblemKind.INSERTED, "seq " + line.seq() + " appears twice (" + before.where()
                        + " and here), both chained to the same entry: one of them was inserted");
            }
            throw stop(line, ProblemKind.REORDERED, "entries are out of order: seq " + line.seq() + " comes after seq "
                    + before.seq() + " (" + before.where() + ")");
        }

        /** Whether {@code line} continues the chain from a line further ahead: it was moved. */
        private boolean belongsLater(Line line) throws Stop {
            for (int i = 0; i < LOOKAHEAD; i++) {
                Line l = peek(i);
                if (l == null || !l.ok()) {
                    return false;
                }
                if (line.chainsTo(l)) {
                    return true;
                }
            }
            return false;
        }

        private Line findAhead(long seq) throws Stop {
            for (int i = 0; i < LOOKAHEAD; i++) {
                Line l = peek(i);
                if (l == null || !l.ok()) {
                    return null;
                }
                if (l.seq() == seq) {
                    return l;
                }
            }
            return null;
        }

        private void torn(Line line) throws Stop {
            boolean last = line.fileIndex == numbers.length - 1;
            String what = "the last line of " + line.file + " is incomplete (no newline): a crash or a cut during a write";
            if (last && tailExcused()) {
                warnings.add(line.where() + ": " + what + ", or a write in progress of the running broker; it was not "
                        + "checked");
                return;
            }
            throw stop(line, ProblemKind.TORN_LINE, what + (last ? notExcused() : ""));
        }

        private void checkEnd() throws Stop {
            if (firstUnsigned != null) {
                String what = sinceCheckpoint + (sinceCheckpoint == 1 ? " entry" : " entries")
                        + (lastCheckpoint == null ? " and no checkpoint: nothing in the log is signed"
                        : " after the last checkpoint (seq " + lastCheckpoint.seq() + ") "
                        + (sinceCheckpoint == 1 ? "is" : "are") + " not signed");
                if (!tailExcused()) {
                    throw stop(firstUnsigned, ProblemKind.UNSIGNED_TAIL, what + ": the log was cut after its last "
                            + "checkpoint, or the broker is running or stopped uncleanly" + notExcused());
                }
                warnings.add(what + " yet (" + (sinceCheckpoint == 1 ? "seq " + previous.seq() : "seq "
                        + firstUnsigned.seq() + " to " + previous.seq()) + "): the running broker's next checkpoint "
                        + "signs them; until then they are protected only by its chain, and the next verification "
                        + "checks them");
            } else if (lastCheckpoint != null && !lastCheckpoint.isFinal()) {
                String what = "the last checkpoint (seq " + lastCheckpoint.seq() + ") is not a final one: entries after "
                        + "it were removed together with the final checkpoint, or the broker is running or did not "
                        + "shut down cleanly";
                if (!tailExcused()) {
                    throw stop(previous, ProblemKind.NOT_FINAL, what + notExcused());
                }
                warnings.add(what + "; a broker is running (an anchor from a later verification would show a cut)");
            }
            if (anchor != null && !anchorSeen) {
                throw stop(previous == null ? dir.toString() : previous.file, previous == null ? 0 : previous.number,
                        previous == null ? -1 : previous.seq(), ProblemKind.ROLLBACK, "the log ends at seq "
                        + (previous == null ? 0 : previous.seq()) + ", before the anchored checkpoint (seq "
                        + anchor.seq() + " of " + AuditFormat.formatTime(anchor.time()) + " in " + anchor.file()
                        + "): the log was rolled back to an older copy, or cut");
            }
        }

        // ---- reading lines across files, with lookahead

        private Line next() throws Stop {
            return ahead.isEmpty() ? read() : ahead.removeFirst();
        }

        /** The line {@code i} places after the current one, or null at the end. */
        private Line peek(int i) throws Stop {
            while (ahead.size() <= i) {
                Line l = read();
                if (l == null) {
                    return null;
                }
                ahead.addLast(l);
            }
            return ahead.stream().skip(i).findFirst().orElseThrow();
        }

        private Line read() throws Stop {
            while (true) {
                if (reader == null) {
                    if (fileIndex + 1 >= numbers.length) {
                        return null;
                    }
                    fileIndex++;
                    try {
                        reader = new LineReader(dir.resolve(AuditFormat.fileName(numbers[fileIndex])));
                    } catch (IOException e) {
                        throw stop(AuditFormat.fileName(numbers[fileIndex]), 0, -1, ProblemKind.UNREADABLE,
                                "cannot read the file: " + e);
                    }
                }
                String name = AuditFormat.fileName(numbers[fileIndex]);
                try {
                    if (reader.next()) {
                        return line(name);
                    }
                } catch (LineReader.LineTooLongException e) {
                    throw stop(name, e.lineNumber, -1, ProblemKind.MALFORMED, "not an audit entry: longer than "
                            + AuditFormat.MAX_LINE + " bytes");
                } catch (IOException e) {
                    throw stop(name, 0, -1, ProblemKind.UNREADABLE, "cannot read the file: " + e);
                }
                closeReader();
            }
        }

        private Line line(String name) {
            byte[] bytes = reader.bytes();
            int length = reader.length();
            String hash = AuditFormat.hash(digest, bytes, 0, length);
            if (!reader.terminated()) {
                return new Line(name, reader.lineNumber(), fileIndex, false, null, hash, null, null);
            }
            try {
                AuditEntry entry = AuditFormat.parse(name, reader.lineNumber(), bytes, length);
                byte[] signed = entry.isCheckpoint() ? AuditFormat.signedBytes(bytes, length, entry.sig()) : null;
                return new Line(name, reader.lineNumber(), fileIndex, true, entry, hash, signed, null);
            } catch (AuditFormat.MalformedEntryException e) {
                return new Line(name, reader.lineNumber(), fileIndex, true, null, hash, null, e.getMessage());
            }
        }

        /** Closes the current file's reader; a reader only, so nothing is lost if that fails. */
        private void closeReader() {
            Closeables.closeQuietly(reader);
            reader = null;
        }
    }
}
