package org.securebroker.server.audit;

import static org.securebroker.store.io.Closeables.closeQuietly;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.failure.StoreException.Kind;
import org.securebroker.store.commit.CommitRequest;
import org.securebroker.store.commit.Committer;
import org.securebroker.store.commit.GroupCommit;
import org.securebroker.store.commit.Round;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.PrivateDirectories;
import org.securebroker.store.io.StorageChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log writer. {@link #append} queues an event and returns at once; the log's
 * group-commit writer ({@link GroupCommit}, thread "audit-writer") takes everything queued, and
 * each round gives each entry the next sequence number and the time, encodes the hash-chained
 * lines, writes them with one call, fsyncs once for the whole batch, and only then completes the
 * appends' futures with their sequence numbers. A signed checkpoint follows every
 * {@link AuditSettings#checkpointEntries()} entries, after
 * {@link AuditSettings#checkpointInterval()} if entries are waiting for one, before a file is
 * rotated, and on {@link #close()} (marked final). The format is in {@link AuditFormat} and
 * docs/audit.md.
 *
 * <p>Clean and unclean stops: the final checkpoint is the log's clean-stop marker; a log that
 * does not end with one (entries after the last checkpoint, a last checkpoint that is not final,
 * or an incomplete last line) was left by a run that did not stop cleanly: killed, crashed, or
 * failed closed. Opening such a log first writes, before any other entry, a signed
 * <em>recovery checkpoint</em> ({@code details.recovered} true, with {@code details.from} and
 * {@code to} naming the entries the previous run left unsigned, and a {@code reason}); it seals
 * them, so that every entry is covered by a signature once the log is open again, and it says
 * that their signature came from a later run, which {@link AuditVerifier} reports as a finding.
 * Nothing is rotated before it, so no ordinary checkpoint can sign that tail first.
 *
 * <p>Failure rules: the log fails closed, by the group commit's fail-stop rule. A write or fsync
 * that fails is never retried: the appends of the batch and every later append complete
 * exceptionally with {@link AuditUnavailableException} of kind {@code FAILED}, {@link #writable()}
 * turns false, and the log never writes again in this process (callers refuse the operations
 * they can no longer record). A full queue (bounded in bytes, {@link AuditSettings#maxPendingBytes()})
 * refuses with kind {@code OVERLOADED}.
 *
 * <p>Opening continues an existing log: the sequence and the chain go on from the last line of
 * the last file. A partial last line (a crash during a write; its entries were never
 * acknowledged) is not dropped silently: its bytes are moved to {@code FILE.torn-TIMESTAMP}
 * beside the file, the file is cut back to its last complete line, and the first entry after
 * the recovery checkpoint is of type {@code audit.recovered}, naming the file, the number of
 * bytes cut and where they went.
 * A last line that is complete but not a valid entry is not repaired: opening fails, because the
 * chain cannot be continued from it (run {@code broker audit verify}).
 *
 * <p>Futures complete on the writer thread: keep dependent actions short, or use the
 * {@code ...Async} variants.
 *
 * <p>Thread-safety: thread-safe; {@link #append} may be called from any thread, including Netty
 * event loops (it never blocks on I/O).
 */
public final class AuditLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final int MAX_BATCH = 4096;
    /** How often an idle writer wakes to see whether a time-based checkpoint is due. */
    private static final Duration IDLE_WAKE = Duration.ofMillis(200);

    /** What the writer is asked to do, in order: record an event, seal an unclean stop, or switch signing keys. */
    private abstract static class Request extends CommitRequest<Long> {
        /** The sequence number the future completes with, set by the round. */
        long seq = -1;

        Request(long weight) {
            super(weight);
        }

        @Override
        protected Long result() {
            return seq;
        }
    }

    private static final class Entry extends Request {
        final AuditEvent event;

        Entry(AuditEvent event) {
            super(event.estimatedBytes());
            this.event = event;
        }
    }

    /** Seal what an unclean stop left unsigned with a recovery checkpoint; the first request of a run. */
    private static final class Recovery extends Request {
        final UncleanStop stop;

        Recovery(UncleanStop stop) {
            super(0); // never refused for a full queue
            this.stop = stop;
        }
    }

    /** Seal the log under the old key with a checkpoint; sign with {@code key} after it. */
    private static final class KeyChange extends Request {
        final SigningKey key;
        final String keyId;

        KeyChange(SigningKey key) {
            super(0); // never refused for a full queue
            this.key = key;
            this.keyId = key.id();
        }
    }

    private final AuditSettings settings;
    private final Clock clock;
    private final FileLayer layer;
    private final Path dir;
    /** Held while the log is open; closing it releases the lock. */
    private final WriterLock lock;
    /** What the run before left when it did not stop cleanly, or null. */
    private final UncleanStop uncleanStop;
    private final GroupCommit<Request> writer;

    private volatile boolean closing;
    private volatile boolean failedWhileClosing;
    private volatile long lastSequence;
    private volatile String keyId;
    private volatile long recoverySeq;

    // the writer thread's state (the opening thread's until the writer starts)
    private final EntryEncoder encoder;
    private int fileNumber;
    private Path file;
    private StorageChannel channel;
    private long position;
    private long fileLines;
    private Instant fileStarted;
    private long seq;
    private long sinceCheckpoint;
    /**
     * Whether the last line is a checkpoint that is not final. Rotation after a final checkpoint
     * (a restart) still writes one, so the file ends with a non-final checkpoint and removing the
     * newer files cannot leave a log that looks cleanly shut down.
     */
    private boolean lastIsCheckpoint;
    private Instant lastCheckpoint;
    /** The signing key's id once the round that changed it is durable. */
    private String roundKeyId;

    private AuditLog(AuditSettings settings, Clock clock, FileLayer layer, WriterLock lock, LogTail tail, Path dir) {
        this.settings = settings;
        this.clock = clock;
        this.layer = layer;
        this.dir = dir;
        this.lock = lock;
        Instant now = clock.instant();
        String lastHash = AuditFormat.ZERO_HASH;
        AuditEntry last = tail.lastEntry(dir);
        if (last != null) {
            seq = last.seq();
            lastHash = AuditFormat.hash(AuditFormat.sha256(), tail.lastLine(), 0, tail.lastLine().length);
            lastIsCheckpoint = last.isCheckpoint() && !Boolean.TRUE.equals(last.details().get(AuditFormat.FINAL));
        }
        this.uncleanStop = UncleanStop.of(tail, last);
        this.encoder = new EntryEncoder(settings.signingKey(), settings.keyId(), lastHash);
        this.keyId = settings.keyId();
        this.roundKeyId = keyId;
        this.sinceCheckpoint = tail.sinceCheckpoint();
        this.lastCheckpoint = now;
        this.lastSequence = seq;
        this.writer = new GroupCommit<>(GroupCommit.Settings.named("audit-writer")
                .maxBatch(Long.MAX_VALUE, MAX_BATCH)
                .maxBacklog(settings.maxPendingBytes(), GroupCommit.Backlog.QUEUED)
                .idleRounds(IDLE_WAKE), new Writer());
    }

    /**
     * Opens the log in {@code settings.dir()}, creating the directory if needed, and continues
     * the chain of the files already there.
     *
     * @throws AuditUnavailableException if another process holds the directory, the files
     *     cannot be read or written, or the chain cannot be continued
     */
    public static AuditLog open(AuditSettings settings, Clock clock) {
        return open(settings, clock, DefaultFileLayer.INSTANCE);
    }

    /** As {@link #open(AuditSettings, Clock)}, with the file layer tests substitute. */
    static AuditLog open(AuditSettings settings, Clock clock, FileLayer layer) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(clock, "clock");
        Path dir = settings.dir().toAbsolutePath();
        WriterLock lock = null;
        AuditLog log = null;
        try {
            PrivateDirectories.create(dir);
            lock = WriterLock.acquire(dir);
            LogTail tail = LogTail.find(dir);
            log = new AuditLog(settings, clock, layer, lock, tail, dir);
            log.start(tail);
            return log;
        } catch (IOException e) {
            releaseAfterFailedOpen(log, lock);
            throw new AuditUnavailableException(Kind.FAILED, "cannot open the audit log in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            releaseAfterFailedOpen(log, lock);
            throw e;
        }
    }

    /**
     * Queues an event. The future completes with the entry's sequence number once the entry is
     * on disk (fsynced), or exceptionally with {@link AuditUnavailableException} if the log is
     * closed, failed or overloaded, or with {@link IllegalArgumentException} for an event of a
     * type the log writes itself ({@code checkpoint}, {@code audit.*}).
     */
    public CompletableFuture<Long> append(AuditEvent event) {
        Objects.requireNonNull(event, "event");
        if (event.type().equals(AuditFormat.CHECKPOINT) || event.type().startsWith("audit.")) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("events of type '" + event.type()
                    + "' are written by the audit log itself"));
        }
        Entry entry = new Entry(event);
        writer.submit(entry);
        return entry.future();
    }

    /** False once a write or fsync failed (for good), or the log was closed. */
    public boolean writable() {
        return !writer.failed() && !closing;
    }

    /**
     * Signs with another key from now on: the writer first seals everything queued before with a
     * checkpoint under the old key, then signs later checkpoints with {@code key}. Verifying the
     * log then takes both public keys.
     *
     * @return completes with the sequence number of the sealing checkpoint once it is on disk
     */
    public CompletableFuture<Long> rotateKey(SigningKey key) {
        KeyChange change = new KeyChange(key);
        writer.submit(change);
        return change.future();
    }

    /** The id of the key that signs checkpoints now. */
    public String keyId() {
        return keyId;
    }

    /** The sequence number of the last entry (or checkpoint) that is on disk; 0 for an empty log. */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * The sequence number of the recovery checkpoint written when this log was opened after an
     * unclean stop; 0 if the previous run stopped cleanly (or the log was new).
     */
    public long recoveryCheckpoint() {
        return recoverySeq;
    }

    /**
     * Writes what is queued, then a final checkpoint, fsyncs and stops the writer. Appends after
     * this are refused. Calling it again does nothing.
     *
     * @throws AuditUnavailableException if the final checkpoint could not be written
     */
    @Override
    public void close() {
        closing = true;
        writer.close();
        if (writer.isWriterThread()) {
            return; // closed from a future's callback: the writer finishes after the current round
        }
        closeQuietly(lock);
        if (failedWhileClosing) {
            failedWhileClosing = false;
            throw (AuditUnavailableException) writer.failure();
        }
    }

    // ---- opening (on the caller's thread, before the writer starts)


    private void start(LogTail tail) throws IOException {
        fileNumber = tail.fileNumber();
        file = dir.resolve(AuditFormat.fileName(fileNumber));
        fileLines = tail.lines();
        Instant now = clock.instant();
        fileStarted = tail.firstTime() != null ? tail.firstTime() : now;
        String saved = null;
        if (!Files.exists(file)) {
            createFile(file);
        } else if (tail.tornBytes() > 0) {
            saved = tail.moveTornBytesAside(layer, dir, now);
        }
        channel = layer.open(file, false);
        position = channel.size();
        writer.start();
        if (uncleanStop == null) {
            return;
        }
        Recovery recovery = new Recovery(uncleanStop);
        writer.submit(recovery);
        Entry torn = null;
        if (saved != null) {
            torn = new Entry(AuditEvent.of(AuditFormat.RECOVERED)
                    .reason("the last line of " + file.getFileName() + " was incomplete (a crash during a write); its "
                            + "bytes were moved aside")
                    .detail("file", AtomicFiles.nameOf(file))
                    .detail("bytesCut", tail.tornBytes())
                    .detail("savedTo", saved)
                    .build());
            writer.submit(torn);
        }
        long sealedAt = awaitDurable(recovery);
        recoverySeq = sealedAt;
        LOG.warn("audit log {}: the previous run did not stop cleanly; {} entries it left unsigned{} are sealed by the "
                + "recovery checkpoint seq {}", dir, uncleanStop.entries(), uncleanStop.entries() > 0 ? " (seq "
                + uncleanStop.from() + " to " + uncleanStop.to() + ")" : "", sealedAt);
        if (torn != null) {
            LOG.warn("audit log {}: moved a torn last line of {} bytes to {} and recorded it as seq {}", dir,
                    tail.tornBytes(), saved, awaitDurable(torn));
        }
    }

    /** Waits while opening for a request the log writes itself; a failure stops the writer and is thrown. */
    private long awaitDurable(Request request) {
        try {
            return request.future().join();
        } catch (CompletionException e) {
            writer.close();
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private void createFile(Path path) throws IOException {
        AtomicFiles.createOwnerOnly(path);
        layer.syncDirectory(dir);
    }

    // ---- the writer thread

    /** Encodes each round's entries, checkpoints and rotations; the group commit writes and forces them. */
    private final class Writer implements Committer<Request> {

        @Override
        public void commit(List<Request> batch, Round round) throws IOException {
            for (Request r : batch) {
                Instant now = clock.instant();
                if (r instanceof KeyChange change) {
                    changeKey(change, now);
                    continue;
                }
                if (r instanceof Recovery recovery) {
                    // never after a rotation: a rotation's checkpoint would sign the tail as if its run had
                    encoder.recoveryCheckpoint(seq + 1, now, recovery.stop);
                    recovery.seq = ++seq;
                    fileLines++;
                    sinceCheckpoint = 0;
                    lastCheckpoint = now;
                    lastIsCheckpoint = true;
                    continue;
                }
                Entry entry = (Entry) r;
                maybeRotate(now, round);
                try {
                    encoder.entry(seq + 1, now, entry.event);
                } catch (IOException | RuntimeException e) {
                    entry.fail(new IllegalArgumentException("the audit event of type " + entry.event.type()
                            + " cannot be encoded: " + e.getMessage(), e));
                    continue;
                }
                entry.seq = ++seq;
                fileLines++;
                sinceCheckpoint++;
                lastIsCheckpoint = false;
                if (sinceCheckpoint >= settings.checkpointEntries()) {
                    checkpoint(now, false);
                }
            }
            Instant now = clock.instant();
            if (round.last()) {
                checkpoint(now, true);
            } else if (sinceCheckpoint > 0
                    && now.compareTo(lastCheckpoint.plus(settings.checkpointInterval())) >= 0) {
                checkpoint(now, false);
            }
            flush(round);
        }

        @Override
        public void durable(List<Request> batch, int filesForced) {
            lastSequence = seq;
            keyId = roundKeyId;
        }

        @Override
        public StoreException failure(String doing, Path failedFile, Throwable cause) {
            String what = Round.FSYNC.equals(doing) ? "syncing (fsync)" : Round.WRITING.equals(doing) ? "writing" : doing;
            return new AuditUnavailableException(Kind.FAILED, "the audit log failed " + what + " "
                    + (failedFile != null ? failedFile : file) + ": " + cause + "; it refuses every append until the "
                    + "broker is restarted", cause);
        }

        @Override
        public void failed(StoreException failure) {
            failedWhileClosing = closing;
            LOG.error("{}", failure.getMessage(), failure.getCause());
            closeQuietly(channel);
        }

        @Override
        public StoreException closed() {
            return new AuditUnavailableException(Kind.CLOSED, "the audit log in " + dir + " is closed");
        }

        @Override
        public StoreException overloaded(Request request) {
            return new AuditUnavailableException(Kind.OVERLOADED, "audit entries of " + settings.maxPendingBytes()
                    + " bytes are already waiting for the disk (" + dir + "); retry when earlier ones complete");
        }

        @Override
        public void stopped() {
            closeQuietly(channel);
            closeQuietly(lock);
        }
    }

    /** Seals the log so far with a checkpoint under the old key, and signs with the new key after it. */
    private void changeKey(KeyChange change, Instant now) throws IOException {
        checkpoint(now, false);
        change.seq = seq;
        String previous = encoder.keyId();
        encoder.rekey(change.key, change.keyId);
        roundKeyId = change.keyId;
        LOG.info("audit checkpoints are signed with key {} from seq {} on (was {})", change.keyId, seq + 1, previous);
    }

    private void checkpoint(Instant now, boolean last) throws IOException {
        encoder.checkpoint(seq + 1, now, sinceCheckpoint, last);
        seq++;
        fileLines++;
        sinceCheckpoint = 0;
        lastCheckpoint = now;
        lastIsCheckpoint = !last;
    }

    /**
     * Closes a full or old file with a checkpoint (unless it ends with a non-final one) and starts the next;
     * the new file's first entry chains to the old file's last line.
     */
    private void maybeRotate(Instant now, Round round) throws IOException {
        if (fileLines == 0) {
            fileStarted = now;
            return;
        }
        boolean full = position + encoder.size() >= settings.rotateBytes();
        boolean old = now.compareTo(fileStarted.plus(settings.rotateAge())) >= 0;
        if (!full && !old) {
            return;
        }
        if (!lastIsCheckpoint) {
            checkpoint(now, false);
        }
        flush(round);
        round.force(channel, file, false);
        closeQuietly(channel);
        channel = null;
        fileNumber++;
        file = dir.resolve(AuditFormat.fileName(fileNumber));
        try {
            createFile(file);
            channel = layer.open(file, false);
        } catch (IOException e) {
            throw round.fail("creating", file, e);
        }
        position = 0;
        fileLines = 0;
        fileStarted = now;
        LOG.info("audit log rotated to {}", file);
    }

    /** Writes what the encoder holds; the round forces it before any of it is acknowledged. */
    private void flush(Round round) throws IOException {
        if (encoder.size() == 0) {
            return;
        }
        round.write(channel, file, ByteBuffer.wrap(encoder.bytes(), 0, encoder.size()), position);
        position += encoder.size();
        encoder.clear();
    }

    /** After a failed open: closes the log's file, if it got that far, and releases the lock. */
    private static void releaseAfterFailedOpen(AuditLog log, WriterLock lock) {
        if (log != null) {
            closeQuietly(log.channel);
        }
        closeQuietly(lock);
    }
}
