package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.securebroker.store.commit.CommitRequest;
import org.securebroker.store.commit.Committer;
import org.securebroker.store.commit.GroupCommit;
import org.securebroker.store.commit.Round;
import org.securebroker.store.crypto.RecordCipher;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.segment.RecordFormat;
import org.securebroker.store.segment.Segment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's committer: each round of the store's {@link GroupCommit} ("store-commit") takes the
 * appends queued since the last round, encrypts them into one buffer grouped by log and writes
 * each log's bytes with one call; the group commit then forces every file written (one fdatasync
 * per file shared by all appends of the round) and only then completes the appends' futures, on a
 * separate thread ("store-ack").
 *
 * <p>Failure rules: a write that fails (a full disk) fails the appends it carried with
 * {@code DISK_FULL}, truncates the segment back to its durable end and retires it, so no
 * (key, nonce) pair is ever used twice. A force that fails puts the store in the failed state:
 * every append not yet acknowledged fails, and every later write is refused until restart.
 * A failed force is never retried into an acknowledgement. (The last two are the group commit's
 * fail-stop rule; the first is the one write error this committer undoes.)
 *
 * <p>Thread-safety: thread-safe; {@link #append} and {@link #submitTask} may be called from any
 * thread. Tasks (structural changes such as creating or deleting logs) run on the commit thread
 * between rounds, in submission order relative to appends. The {@link Committer} methods run on
 * the commit thread only.
 */
final class CommitLoop implements Committer<CommitLoop.Append>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CommitLoop.class);
    private static final long SLOW_ROLL_MILLIS = 250;
    private static final long PROBE_NANOS = 1_000_000_000L;
    private static final int PROBE_BYTES = 64 * 1024;

    static final class Append extends CommitRequest<AppendResult> {
        final Log log;
        final ByteBuffer[] records;
        final long bytes;
        long first = -1;
        long last = -1;
        /** The seal per record, and the offset the first was sealed for; null/-1 without a sealer. */
        ByteBuffer[] seals;
        long sealedFirst = -1;
        /**
         * On the first append of a group sealed together, the group's encoded size: the segment
         * it goes to must hold all of it. -1 on the group's other appends, which follow the first
         * into the same segment. Without a sealer every append is a group of its own.
         */
        long groupBytes;

        Append(Log log, ByteBuffer[] records, long bytes) {
            super(bytes);
            this.log = log;
            this.records = records;
            this.bytes = bytes;
            this.groupBytes = bytes;
        }

        @Override
        protected AppendResult result() {
            return new AppendResult(first, last, Sealing.resultView(seals));
        }
    }

    /** One log's share of a round: the segment being appended to and the encoded appends. */
    private static final class LogWrite {
        final Log log;
        final List<Append> appends = new ArrayList<>();
        Segment segment;
        /**
         * This log's pending bytes in the shared buffer: [chunkStart, chunkEnd). The buffer holds
         * every log of the batch one after the other, so its position is not this chunk's end.
         */
        int chunkStart = -1;
        int chunkEnd = -1;
        final List<Append> chunk = new ArrayList<>();

        LogWrite(Log log) {
            this.log = log;
        }
    }

    private final StoreContext ctx;
    private final GroupCommit<Append> writer;
    // the commit thread's
    private final ByteBuffer buffer;
    private final RecordCipher cipher = new RecordCipher();
    private final List<Append> ready = new ArrayList<>();
    private final List<LogWrite> written = new ArrayList<>();
    private volatile long started;
    private volatile boolean full;
    private final Object probeLock = new Object();
    private long lastProbe = System.nanoTime() - PROBE_NANOS;

    CommitLoop(StoreContext ctx) {
        this.ctx = ctx;
        this.buffer = ByteBuffer.allocate(ctx.config.maxBatchBytes());
        this.writer = new GroupCommit<>(GroupCommit.Settings.named("store-commit").completingOn("store-ack")
                .maxBatch(ctx.config.maxBatchBytes(), Integer.MAX_VALUE)
                .maxBacklog(ctx.config.maxPendingBytes(), GroupCommit.Backlog.UNCOMPLETED), this);
    }

    void start() {
        writer.start();
    }

    /** The failure that stopped writes, or null. */
    StoreException failure() {
        return writer.failure();
    }

    CompletableFuture<AppendResult> append(Log log, ByteBuffer[] records, long bytes) {
        Append append = new Append(log, records, bytes);
        writer.submit(append);
        return append.future();
    }

    <T> CompletableFuture<T> submitTask(Callable<T> body) {
        return writer.task(() -> {
            try {
                return body.call();
            } catch (StoreException e) {
                throw e;
            } catch (IOException e) {
                LOG.error("store task failed", e);
                throw new StoreException(StoreException.Kind.IO_ERROR, e.getMessage(), e);
            } catch (Exception | Error e) {
                LOG.error("store task failed", e);
                throw e;
            }
        });
    }

    /** Runs a task on the commit thread and waits for it, rethrowing its failure. */
    <T> T runTask(Callable<T> body) {
        if (isCommitThread()) {
            throw new IllegalStateException("a store task cannot wait for another task");
        }
        try {
            return submitTask(body).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            throw new StoreException(StoreException.Kind.IO_ERROR, String.valueOf(e.getCause().getMessage()), e.getCause());
        }
    }

    // ---- the committer, on the commit thread

    @Override
    public void commit(List<Append> batch, Round round) {
        ready.clear();
        written.clear();
        Map<Log, LogWrite> writes = new LinkedHashMap<>();
        for (Append a : batch) {
            writes.computeIfAbsent(a.log, LogWrite::new).appends.add(a);
        }
        buffer.clear();
        for (LogWrite w : writes.values()) {
            seal(w);
            for (Append a : w.appends) {
                encode(w, a, round);
            }
        }
        started = System.nanoTime();
        for (LogWrite w : writes.values()) {
            if (writeChunk(w, round)) {
                written.add(w);
            }
        }
    }

    @Override
    public void durable(List<Append> batch, int filesForced) {
        if (batch.isEmpty()) {
            return;
        }
        if (full && !written.isEmpty()) {
            writable();
        }
        for (LogWrite w : written) {
            w.segment.publishDurable();
            w.log.publishDurable();
            ready.addAll(w.chunk);
        }
        long bytes = 0;
        int records = 0;
        for (Append a : ready) {
            bytes += a.bytes;
            records += a.records.length;
        }
        ctx.config.listener().onCommit(records, bytes, filesForced, System.nanoTime() - started);
    }

    @Override
    public StoreException failure(String doing, Path file, Throwable cause) {
        return new StoreException(StoreException.Kind.FAILED, doing + " of " + (file != null ? file : ctx.logsDir)
                + " failed (" + cause.getMessage() + "); the store refuses writes until it is restarted, and the "
                + "appends that were waiting were not acknowledged", cause);
    }

    @Override
    public void failed(StoreException failure) {
        LOG.error("store failed: {}", failure.getMessage(), failure.getCause());
        ctx.config.listener().onFailure(failure);
        ctx.config.listener().onHealth(StoreHealth.FAILED);
    }

    @Override
    public StoreException closed() {
        return new StoreException(StoreException.Kind.CLOSED, "the store is closed");
    }

    @Override
    public StoreException overloaded(Append append) {
        return new StoreException(StoreException.Kind.OVERLOADED, "more than " + ctx.config.maxPendingBytes()
                + " bytes are waiting for the disk; retry when earlier appends complete");
    }

    /** Seals the log's records of this round ({@link Sealing#sealRound}); nothing without a sealer. */
    private void seal(LogWrite w) {
        RecordSealer sealer = ctx.config.sealer();
        if (sealer != null && !w.log.isDeleted()) {
            Sealing.sealRound(sealer, w.log.name(), w.log.nextOffset(), w.appends, ctx.config.segmentBytes());
        }
    }

    /** Encodes one append into the round buffer, rolling the log's segment first if needed. */
    private void encode(LogWrite w, Append a, Round round) {
        Log log = w.log;
        if (a.failed()) {
            return;
        }
        if (log.isDeleted()) {
            a.fail(new StoreException(StoreException.Kind.LOG_NOT_FOUND, "log '" + log.name() + "' was deleted"));
            return;
        }
        if (ctx.config.sealer() != null && a.sealedFirst != log.nextOffset()) {
            // an earlier append of this round failed, so these records would land at offsets
            // other than the ones they were sealed for
            a.fail(new StoreException(full ? StoreException.Kind.DISK_FULL : StoreException.Kind.IO_ERROR,
                    "an earlier write to log '" + log.name() + "' in the same group commit failed"
                    + (full ? " (the disk is full)" : "") + "; nothing of this append was stored"));
            return;
        }
        // a group's later appends follow its first into the segment chosen for all of it: no roll
        // inside a group, so its records are written, or fail, in one piece
        Segment segment = a.groupBytes < 0 ? w.segment : log.writableSegment((int) Math.min(a.groupBytes,
                Integer.MAX_VALUE));
        if (segment == null) {
            segment = roll(w, a, round);
            if (segment == null) {
                return;
            }
        }
        if (w.segment != segment) {
            w.segment = segment;
            w.chunkStart = buffer.position();
            w.chunkEnd = buffer.position();
            w.chunk.clear();
        }
        if (log.nextOffset() + a.records.length > log.segmentLimit()) {
            throw new IllegalStateException("log '" + log.name() + "': offsets up to " + (log.nextOffset()
                    + a.records.length) + " exceed the active segment's reservation " + log.segmentLimit());
        }
        a.first = log.nextOffset();
        long synced = log.endOffset();
        for (int i = 0; i < a.records.length; i++) {
            long offset = log.nextOffset();
            ByteBuffer seal = a.seals == null ? null : a.seals[i].duplicate();
            int length = RecordFormat.writeRecord(buffer, cipher, segment.key(), offset, synced, a.records[i], seal);
            segment.appended(offset, length);
            log.advanceNextOffset();
        }
        a.last = log.nextOffset() - 1;
        w.chunkEnd = buffer.position();
        w.chunk.add(a);
    }

    /**
     * Makes the log's pending chunk durable, finishes the last segment and creates a new one.
     *
     * @return the new segment, or null if the append failed (its error is set)
     */
    private Segment roll(LogWrite w, Append a, Round round) {
        Log log = w.log;
        Segment last = log.lastSegment();
        if (last != null && !last.isFinished() && last.hasRecords()) {
            if (w.segment == last && !w.chunk.isEmpty()) {
                if (!writeChunk(w, round)) {
                    a.fail(diskFull(last.path(), null));
                    return null;
                }
                ready.addAll(w.chunk);
            }
            try {
                last.writeEndMarker();
            } catch (IOException e) {
                ready.removeAll(w.chunk);
                a.fail(failWrite(w, last, e, round));
                return null;
            }
            round.force(last.channel(), last.path(), true);
            last.publishDurable();
            log.publishDurable();
            w.chunk.clear();
            w.segment = null;
        }
        long started = System.nanoTime();
        try {
            Segment created = log.roll();
            long millis = (System.nanoTime() - started) / 1_000_000;
            if (millis >= SLOW_ROLL_MILLIS) {
                LOG.warn("creating segment {} took {} ms (key file, segment file and directory fsyncs)", created.path(), millis);
            }
            return created;
        } catch (IOException e) {
            if (isDiskFull(e)) {
                a.fail(diskFull(log.lastSegment() != null ? log.lastSegment().path() : ctx.logsDir, e));
                return null;
            }
            throw round.fail("creating a segment of log '" + log.name() + "'", ctx.logsDir, e);
        } catch (StoreException e) {
            a.fail(e);
            return null;
        }
    }

    /**
     * Writes the log's pending chunk.
     *
     * @return true if there was a chunk and it was written; false if there was none or the write
     *     failed (the chunk's appends then carry the error)
     */
    private boolean writeChunk(LogWrite w, Round round) {
        if (w.segment == null || w.chunk.isEmpty()) {
            return false;
        }
        ByteBuffer bytes = buffer.duplicate();
        bytes.limit(w.chunkEnd).position(w.chunkStart);
        long position = w.segment.writePosition() - (w.chunkEnd - w.chunkStart);
        try {
            round.write(w.segment.channel(), w.segment.path(), bytes, position);
            w.chunkStart = w.chunkEnd;
            return true;
        } catch (IOException e) {
            failWrite(w, w.segment, e, round);
            return false;
        }
    }

    /**
     * After a failed write to {@code segment}: fails the appends of the log's pending chunk if
     * it went to that segment, truncates the segment back to its durable end and retires it.
     *
     * @return the error the appends carry ({@code DISK_FULL}); any other failure stops the store
     */
    private StoreException failWrite(LogWrite w, Segment segment, IOException cause, Round round) {
        StoreException error = classifyWriteFailure(segment.path(), cause, round);
        if (w.segment == segment) {
            for (Append a : w.chunk) {
                a.fail(error);
            }
            w.chunk.clear();
            w.segment = null;
        }
        try {
            segment.rewindToDurable();
        } catch (IOException e) {
            throw round.fail("truncating after a failed write", segment.path(), e);
        }
        round.forget(segment.channel());
        // the failed records' offsets are not handed out again (they were sealed, and their bytes
        // may have reached the disk): the next segment starts above them, and the gap is skipped
        return error;
    }

    private StoreException classifyWriteFailure(Path file, IOException e, Round round) {
        if (isDiskFull(e)) {
            return diskFull(file, e);
        }
        throw round.fail(Round.WRITING, file, e);
    }

    /** The error of an append refused for a full disk; the first of an episode is logged and reported. */
    private StoreException diskFull(Path file, IOException cause) {
        if (!full) {
            full = true;
            LOG.warn("a write to {} failed: the disk is full; appends fail with DISK_FULL (retriable) until space is "
                    + "freed, and the store takes writes again by itself then", file);
            ctx.config.listener().onHealth(StoreHealth.DISK_FULL);
        }
        return new StoreException(StoreException.Kind.DISK_FULL, "the disk holding " + file
                + " is full; nothing was written; retry once space is freed", cause);
    }

    static boolean isDiskFull(IOException e) {
        return org.securebroker.store.io.DiskSpace.isFull(e);
    }

    /** Another writer of the store (the subscription journal) found the disk full. */
    void diskFullElsewhere(StoreException failure) {
        if (!full) {
            full = true;
            LOG.warn("{}; the store takes writes again by itself once space is freed", failure.getMessage());
            ctx.config.listener().onHealth(StoreHealth.DISK_FULL);
        }
    }

    /** Whether the last write found the disk full (and no write has succeeded since). */
    boolean diskFull() {
        return full;
    }

    /**
     * While the disk is full: checks, at most once a second, whether a small file can be written
     * and forced in the data directory now; if so, the store is writable again.
     */
    StoreHealth probeSpace() {
        long now = System.nanoTime();
        synchronized (probeLock) {
            if (full && now - lastProbe >= PROBE_NANOS) {
                lastProbe = now;
                Path probe = ctx.config.directory().resolve(".space-probe");
                try {
                    org.securebroker.store.io.StorageChannel ch = ctx.config.fileLayer().open(probe, true);
                    try {
                        ch.writeFully(ByteBuffer.allocate(PROBE_BYTES), 0);
                        ch.force(false);
                    } finally {
                        ch.close();
                        java.nio.file.Files.deleteIfExists(probe);
                    }
                    writable();
                } catch (IOException e) {
                    try {
                        java.nio.file.Files.deleteIfExists(probe);
                    } catch (IOException ignored) {
                        // the probe file is removed on the next probe or open
                    }
                }
            }
        }
        return full ? StoreHealth.DISK_FULL : StoreHealth.WRITABLE;
    }

    private void writable() {
        if (full) {
            full = false;
            LOG.info("the store takes writes again: space was freed");
            ctx.config.listener().onHealth(StoreHealth.WRITABLE);
        }
    }

    /** Stops taking requests, finishes the queued ones and waits for the commit thread to end. */
    @Override
    public void close() {
        writer.close();
    }

    boolean isCommitThread() {
        return writer.isWriterThread();
    }
}
