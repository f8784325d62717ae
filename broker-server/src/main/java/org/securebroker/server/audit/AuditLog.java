package org.securebroker.server.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.securebroker.server.audit.AuditUnavailableException.Kind;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log writer. {@link #append} queues an event and returns at once; a single writer
 * thread takes everything queued, gives each entry the next sequence number and the time,
 * encodes the hash-chained lines, writes them with one call, fsyncs once for the whole batch
 * (group commit), and only then completes the appends' futures with their sequence numbers. A
 * signed checkpoint follows every {@link AuditSettings#checkpointEntries()} entries, after
 * {@link AuditSettings#checkpointInterval()} if entries are waiting for one, before a file is
 * rotated, and on {@link #close()} (marked final). The format is in {@link AuditFormat} and
 * docs/audit.md.
 *
 * <p>Failure rules: the log fails closed. A write or fsync that fails is never retried: the
 * appends of the batch and every later append complete exceptionally with
 * {@link AuditUnavailableException} of kind {@code FAILED}, {@link #writable()} turns false,
 * and the log never writes again in this process (callers refuse the operations they can no
 * longer record). A full queue refuses with kind {@code OVERLOADED}.
 *
 * <p>Opening continues an existing log: the sequence and the chain go on from the last line of
 * the last file. A partial last line (a crash during a write; its entries were never
 * acknowledged) is not dropped silently: its bytes are moved to {@code FILE.torn-TIMESTAMP}
 * beside the file, the file is cut back to its last complete line, and the first new entry is
 * of type {@code audit.recovered}, naming the file, the number of bytes cut and where they went.
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
    private static final long IDLE_WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final String LOCK_FILE = "audit.lock";

    private record Pending(AuditEvent event, CompletableFuture<Long> future) {
    }

    private final AuditSettings settings;
    private final Clock clock;
    private final FileLayer layer;
    private final Path dir;
    /** Holds the directory's lock while the log is open; closing it releases the lock. */
    private final FileChannel lockChannel;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private volatile boolean closing; // written under lock
    private volatile AuditUnavailableException failure;
    private volatile boolean failedWhileClosing;
    private volatile long lastSequence;
    private final Thread writer;

    // the writer thread's state (the opening thread's until the writer starts)
    private final EntryEncoder encoder;
    private KeyChange keyChange; // under lock
    private volatile String keyId;
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
    private String doing = "writing";
    private final List<Pending> batch = new ArrayList<>();
    private long[] batchSeqs = new long[64];

    private AuditLog(AuditSettings settings, Clock clock, FileLayer layer, FileChannel lockChannel, LogTail tail,
                     Path dir) {
        this.settings = settings;
        this.clock = clock;
        this.layer = layer;
        this.dir = dir;
        this.lockChannel = lockChannel;
        Instant now = clock.instant();
        String lastHash = AuditFormat.ZERO_HASH;
        AuditEntry last = tail.lastEntry(dir);
        if (last != null) {
            seq = last.seq();
            lastHash = AuditFormat.hash(AuditFormat.sha256(), tail.lastLine(), 0, tail.lastLine().length);
            lastIsCheckpoint = last.isCheckpoint() && !Boolean.TRUE.equals(last.details().get(AuditFormat.FINAL));
        }
        this.encoder = new EntryEncoder(settings.signingKey(), settings.keyId(), lastHash);
        this.keyId = settings.keyId();
        this.sinceCheckpoint = tail.sinceCheckpoint();
        this.lastCheckpoint = now;
        this.lastSequence = seq;
        this.writer = new Thread(this::run, "audit-writer");
        this.writer.setDaemon(true);
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
        FileChannel lockChannel = null;
        AuditLog log = null;
        try {
            createDirectory(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock(lockChannel, dir);
            LogTail tail = LogTail.find(dir);
            log = new AuditLog(settings, clock, layer, lockChannel, tail, dir);
            log.start(tail);
            return log;
        } catch (IOException e) {
            closeQuietly(log, lockChannel);
            throw new AuditUnavailableException(Kind.FAILED, "cannot open the audit log in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(log, lockChannel);
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
        CompletableFuture<Long> future = new CompletableFuture<>();
        if (event.type().equals(AuditFormat.CHECKPOINT) || event.type().startsWith("audit.")) {
            future.completeExceptionally(new IllegalArgumentException("events of type '" + event.type()
                    + "' are written by the audit log itself"));
            return future;
        }
        lock.lock();
        try {
            AuditUnavailableException refused = refusal();
            if (refused != null) {
                future.completeExceptionally(refused);
                return future;
            }
            queue.add(new Pending(event, future));
            wake.signal();
        } finally {
            lock.unlock();
        }
        return future;
    }

    private AuditUnavailableException refusal() {
        if (failure != null) {
            return failure;
        }
        if (closing) {
            return new AuditUnavailableException(Kind.CLOSED, "the audit log in " + dir + " is closed");
        }
        if (queue.size() >= settings.maxPending()) {
            return new AuditUnavailableException(Kind.OVERLOADED, settings.maxPending() + " audit entries are already "
                    + "waiting for the disk (" + dir + "); retry when earlier ones complete");
        }
        return null;
    }

    /** False once a write or fsync failed (for good), or the log was closed. */
    public boolean writable() {
        return failure == null && !closing;
    }

    /**
     * Signs with another key from now on: the writer first seals everything so far with a
     * checkpoint under the old key, then signs later checkpoints with {@code key}. Verifying the
     * log then takes both public keys.
     *
     * @return completes with the sequence number of the sealing checkpoint once it is on disk
     */
    public CompletableFuture<Long> rotateKey(Ed25519PrivateKeyParameters key) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        lock.lock();
        try {
            AuditUnavailableException refused = failure != null ? failure : closing
                    ? new AuditUnavailableException(Kind.CLOSED, "the audit log in " + dir + " is closed") : null;
            if (refused != null) {
                done.completeExceptionally(refused);
                return done;
            }
            keyChange = new KeyChange(key, AuditKeys.keyId(key), done);
            wake.signal();
        } finally {
            lock.unlock();
        }
        return done;
    }

    /** The id of the key that signs checkpoints now. */
    public String keyId() {
        return keyId;
    }

    private record KeyChange(Ed25519PrivateKeyParameters key, String keyId, CompletableFuture<Long> done) {
    }

    /** The sequence number of the last entry (or checkpoint) that is on disk; 0 for an empty log. */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * Writes what is queued, then a final checkpoint, fsyncs and stops the writer. Appends after
     * this are refused. Calling it again does nothing.
     *
     * @throws AuditUnavailableException if the final checkpoint could not be written
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == writer) {
            return; // closed from a future's callback: the writer finishes after the current batch
        }
        boolean interrupted = false;
        while (writer.isAlive()) {
            try {
                writer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(null, lockChannel);
        if (failedWhileClosing) {
            failedWhileClosing = false;
            throw failure;
        }
    }

    // ---- opening (on the caller's thread, before the writer starts)

    private static void createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir.getParent());
        if (Files.getFileStore(dir.getParent()).supportsFileAttributeView("posix")) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectory(dir);
        }
    }

    private static void lock(FileChannel channel, Path dir) throws IOException {
        FileLock held;
        try {
            held = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            held = null;
        }
        if (held == null) {
            throw new AuditUnavailableException(Kind.FAILED, "the audit log in " + dir + " is already open (in this or "
                    + "another process); only one writer may append to it");
        }
    }

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
        if (saved != null) {
            AuditEvent recovered = AuditEvent.of(AuditFormat.RECOVERED)
                    .reason("the last line of " + file.getFileName() + " was incomplete (a crash during a write); its "
                            + "bytes were moved aside")
                    .detail("file", file.getFileName().toString())
                    .detail("bytesCut", tail.tornBytes())
                    .detail("savedTo", saved)
                    .build();
            batch.add(new Pending(recovered, new CompletableFuture<>()));
            writeBatch(false);
            batch.clear();
            LOG.warn("audit log {}: moved a torn last line of {} bytes to {} and recorded it as seq {}", dir,
                    tail.tornBytes(), saved, seq);
        }
        writer.start();
    }

    private void createFile(Path path) throws IOException {
        AtomicFiles.createOwnerOnly(path);
        layer.syncDirectory(dir);
    }

    // ---- the writer thread

    private void run() {
        try {
            while (true) {
                boolean last;
                KeyChange change;
                lock.lock();
                try {
                    if (queue.isEmpty() && !closing) {
                        wake.awaitNanos(IDLE_WAKE_NANOS);
                    }
                    for (int i = 0; i < MAX_BATCH && !queue.isEmpty(); i++) {
                        batch.add(queue.poll());
                    }
                    last = closing && queue.isEmpty();
                    change = keyChange;
                    keyChange = null;
                } finally {
                    lock.unlock();
                }
                if (change != null) {
                    changeKey(change);
                }
                writeBatch(last);
                batch.clear();
                if (last) {
                    closeQuietly(channel);
                    closeQuietly(lockChannel);
                    return;
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            fail(e);
        } catch (InterruptedException e) {
            fail(new IOException("the audit writer was interrupted", e));
        }
    }

    /** Seals the log under the old key, makes it durable, and signs with the new key from now on. */
    private void changeKey(KeyChange change) throws IOException {
        try {
            checkpoint(clock.instant(), false);
            flush();
            force();
            lastSequence = seq;
        } catch (IOException | RuntimeException e) {
            change.done().completeExceptionally(e);
            throw e;
        }
        String previous = encoder.keyId();
        encoder.rekey(change.key(), change.keyId());
        keyId = change.keyId();
        LOG.info("audit checkpoints are signed with key {} from seq {} on (was {})", change.keyId(), seq + 1, previous);
        change.done().complete(seq);
    }

    /**
     * Encodes the batch (with the checkpoints and rotations it calls for), writes it, forces it
     * once, then completes the futures.
     */
    private void writeBatch(boolean last) throws IOException {
        if (batchSeqs.length < batch.size()) {
            batchSeqs = new long[Math.max(batch.size(), batchSeqs.length * 2)];
        }
        for (int i = 0; i < batch.size(); i++) {
            Instant now = clock.instant();
            maybeRotate(now);
            try {
                encoder.entry(seq + 1, now, batch.get(i).event());
            } catch (IOException | RuntimeException e) {
                batchSeqs[i] = -1;
                batch.get(i).future().completeExceptionally(new IllegalArgumentException("the audit event of type "
                        + batch.get(i).event().type() + " cannot be encoded: " + e.getMessage(), e));
                continue;
            }
            batchSeqs[i] = ++seq;
            fileLines++;
            sinceCheckpoint++;
            lastIsCheckpoint = false;
            if (sinceCheckpoint >= settings.checkpointEntries()) {
                checkpoint(now, false);
            }
        }
        Instant now = clock.instant();
        if (last) {
            checkpoint(now, true);
        } else if (sinceCheckpoint > 0
                && now.compareTo(lastCheckpoint.plus(settings.checkpointInterval())) >= 0) {
            checkpoint(now, false);
        }
        if (encoder.size() == 0) {
            return;
        }
        flush();
        force();
        lastSequence = seq;
        for (int i = 0; i < batch.size(); i++) {
            if (batchSeqs[i] > 0) {
                batch.get(i).future().complete(batchSeqs[i]);
            }
        }
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
    private void maybeRotate(Instant now) throws IOException {
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
        flush();
        force();
        closeQuietly(channel);
        channel = null;
        fileNumber++;
        file = dir.resolve(AuditFormat.fileName(fileNumber));
        doing = "creating";
        createFile(file);
        channel = layer.open(file, false);
        position = 0;
        fileLines = 0;
        fileStarted = now;
        LOG.info("audit log rotated to {}", file);
    }

    private void flush() throws IOException {
        doing = "writing";
        channel.writeFully(ByteBuffer.wrap(encoder.bytes(), 0, encoder.size()), position);
        position += encoder.size();
        encoder.clear();
    }

    private void force() throws IOException {
        doing = "syncing (fsync)";
        channel.force(false);
        doing = "writing";
    }

    /** Stops writing for good and fails every append not yet acknowledged. */
    private void fail(Throwable cause) {
        AuditUnavailableException failed = new AuditUnavailableException(Kind.FAILED, "the audit log failed " + doing
                + " " + file + ": " + cause + "; it refuses every append until the broker is restarted", cause);
        List<Pending> refused = new ArrayList<>(batch);
        lock.lock();
        try {
            failure = failed;
            failedWhileClosing = closing;
            refused.addAll(queue);
            queue.clear();
        } finally {
            lock.unlock();
        }
        LOG.error("{}", failed.getMessage(), cause);
        closeQuietly(channel);
        for (Pending p : refused) {
            p.future().completeExceptionally(failed);
        }
        batch.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {} failed", c, e);
        }
    }

    private static void closeQuietly(AuditLog log, FileChannel lockChannel) {
        if (log != null) {
            closeQuietly(log.channel);
        }
        closeQuietly(lockChannel); // releases the lock
    }
}
