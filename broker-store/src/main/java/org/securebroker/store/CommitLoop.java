package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.securebroker.store.crypto.RecordCipher;
import org.securebroker.store.segment.RecordFormat;
import org.securebroker.store.segment.Segment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's single writer: it takes the appends queued since the last round, encrypts them
 * into one buffer grouped by log, writes each log's bytes with one call, forces every file
 * written (one fdatasync per file shared by all appends of the round: group commit), and only
 * then completes the appends' futures, on a separate thread.
 *
 * <p>Failure rules: a write that fails (a full disk) fails the appends it carried with
 * {@code DISK_FULL}, truncates the segment back to its durable end and retires it, so no
 * (key, nonce) pair is ever used twice. A force that fails puts the store in the failed state:
 * every append not yet acknowledged fails, and every later write is refused until restart.
 * A failed force is never retried into an acknowledgement.
 *
 * <p>Thread-safety: thread-safe; {@link #append} and {@link #submitTask} may be called from any
 * thread. Tasks (structural changes such as creating or deleting logs) run on the commit thread
 * between rounds, in submission order relative to appends.
 */
final class CommitLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CommitLoop.class);
    private static final long SLOW_FSYNC_MILLIS = 100;
    private static final long SLOW_ROLL_MILLIS = 250;

    private sealed interface Request permits Append, Task {
    }

    static final class Append implements Request {
        final Log log;
        final ByteBuffer[] records;
        final long bytes;
        final CompletableFuture<AppendResult> future;
        long first = -1;
        long last = -1;
        StoreException error;
        /** The seal per record, and the offset the first was sealed for; null/-1 without a sealer. */
        ByteBuffer[] seals;
        long sealedFirst = -1;
        /**
         * On the first append of a group sealed together, the group's encoded size: the segment
         * it goes to must hold all of it. -1 on the group's other appends, which follow the first
         * into the same segment. Without a sealer every append is a group of its own.
         */
        long groupBytes;

        Append(Log log, ByteBuffer[] records, long bytes, CompletableFuture<AppendResult> future) {
            this.log = log;
            this.records = records;
            this.bytes = bytes;
            this.groupBytes = bytes;
            this.future = future;
        }
    }

    private static final class Task implements Request {
        final Callable<?> body;
        final CompletableFuture<Object> future = new CompletableFuture<>();

        Task(Callable<?> body) {
            this.body = body;
        }
    }

    /** Signals that the store has failed; the round stops at once. */
    private static final class FailStop extends Exception {
        FailStop() {
            super(null, null, false, false);
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
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private long pendingBytes;
    private boolean closing;
    private volatile StoreException failure;
    private final Thread thread;
    private final ExecutorService completions;
    private final ByteBuffer buffer;
    private final RecordCipher cipher = new RecordCipher();
    private final List<Append> ready = new ArrayList<>();
    private final List<Append> inRound = new ArrayList<>();

    CommitLoop(StoreContext ctx) {
        this.ctx = ctx;
        this.buffer = ByteBuffer.allocate(ctx.config.maxBatchBytes());
        this.completions = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "store-ack");
            t.setDaemon(true);
            return t;
        });
        this.thread = new Thread(this::run, "store-commit");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The failure that stopped writes, or null. */
    StoreException failure() {
        return failure;
    }

    CompletableFuture<AppendResult> append(Log log, ByteBuffer[] records, long bytes) {
        CompletableFuture<AppendResult> future = new CompletableFuture<>();
        lock.lock();
        try {
            StoreException refused = refusal(bytes);
            if (refused != null) {
                future.completeExceptionally(refused);
                return future;
            }
            queue.add(new Append(log, records, bytes, future));
            pendingBytes += bytes;
            wake.signal();
        } finally {
            lock.unlock();
        }
        return future;
    }

    private StoreException refusal(long bytes) {
        if (failure != null) {
            return failure;
        }
        if (closing) {
            return new StoreException(StoreException.Kind.CLOSED, "the store is closed");
        }
        if (pendingBytes + bytes > ctx.config.maxPendingBytes()) {
            return new StoreException(StoreException.Kind.OVERLOADED, "more than " + ctx.config.maxPendingBytes()
                    + " bytes are waiting for the disk; retry when earlier appends complete");
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    <T> CompletableFuture<T> submitTask(Callable<T> body) {
        Task task = new Task(body);
        lock.lock();
        try {
            if (closing) {
                task.future.completeExceptionally(new StoreException(StoreException.Kind.CLOSED, "the store is closed"));
            } else {
                queue.add(task);
                wake.signal();
            }
        } finally {
            lock.unlock();
        }
        return (CompletableFuture<T>) (CompletableFuture<?>) task.future;
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

    private void run() {
        List<Append> batch = new ArrayList<>();
        while (true) {
            Task task = null;
            batch.clear();
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    wake.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    break;
                }
                long bytes = 0;
                while (!queue.isEmpty()) {
                    Request next = queue.peek();
                    if (next instanceof Task t) {
                        if (batch.isEmpty()) {
                            queue.poll();
                            task = t;
                        }
                        break;
                    }
                    Append a = (Append) next;
                    if (!batch.isEmpty() && bytes + a.bytes > ctx.config.maxBatchBytes()) {
                        break;
                    }
                    queue.poll();
                    batch.add(a);
                    bytes += a.bytes;
                }
            } finally {
                lock.unlock();
            }
            if (task != null) {
                runTask(task);
            } else {
                commit(batch);
            }
        }
        completions.shutdown();
    }

    private void runTask(Task task) {
        try {
            task.future.complete(task.body.call());
        } catch (StoreException e) {
            task.future.completeExceptionally(e);
        } catch (IOException e) {
            LOG.error("store task failed", e);
            task.future.completeExceptionally(new StoreException(StoreException.Kind.IO_ERROR, e.getMessage(), e));
        } catch (Exception | Error e) {
            LOG.error("store task failed", e);
            task.future.completeExceptionally(e);
        }
    }

    private void commit(List<Append> batch) {
        inRound.clear();
        inRound.addAll(batch);
        ready.clear();
        if (failure != null) {
            failRemaining(failure);
            return;
        }
        Map<Log, LogWrite> writes = new LinkedHashMap<>();
        for (Append a : batch) {
            writes.computeIfAbsent(a.log, LogWrite::new).appends.add(a);
        }
        buffer.clear();
        try {
            for (LogWrite w : writes.values()) {
                seal(w);
                for (Append a : w.appends) {
                    encode(w, a);
                }
            }
            long started = System.nanoTime();
            List<LogWrite> written = new ArrayList<>();
            for (LogWrite w : writes.values()) {
                if (writeChunk(w)) {
                    written.add(w);
                }
            }
            int files = 0;
            for (LogWrite w : written) {
                force(w.segment, false);
                files++;
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
            ctx.config.listener().onCommit(records, bytes, files, System.nanoTime() - started);
        } catch (FailStop e) {
            failRemaining(failure);
            return;
        } catch (RuntimeException | Error e) {
            failStop("a group commit", ctx.logsDir, e instanceof Exception ex ? ex : new RuntimeException(e));
            failRemaining(failure);
            return;
        }
        complete(new ArrayList<>(inRound));
    }

    /** Seals the log's records of this round ({@link Sealing#sealRound}); nothing without a sealer. */
    private void seal(LogWrite w) {
        RecordSealer sealer = ctx.config.sealer();
        if (sealer != null && !w.log.isDeleted()) {
            Sealing.sealRound(sealer, w.log.name(), w.log.nextOffset(), w.appends, ctx.config.segmentBytes());
        }
    }

    /** Encodes one append into the round buffer, rolling the log's segment first if needed. */
    private void encode(LogWrite w, Append a) throws FailStop {
        Log log = w.log;
        if (a.error != null) {
            return;
        }
        if (log.isDeleted()) {
            a.error = new StoreException(StoreException.Kind.LOG_NOT_FOUND, "log '" + log.name() + "' was deleted");
            return;
        }
        if (ctx.config.sealer() != null && a.sealedFirst != log.nextOffset()) {
            // an earlier append of this round failed, so these records would land at offsets
            // other than the ones they were sealed for
            a.error = new StoreException(StoreException.Kind.IO_ERROR, "an earlier write to log '" + log.name()
                    + "' in the same group commit failed; nothing of this append was stored");
            return;
        }
        // a group's later appends follow its first into the segment chosen for all of it: no roll
        // inside a group, so its records are written, or fail, in one piece
        Segment segment = a.groupBytes < 0 ? w.segment : log.writableSegment((int) Math.min(a.groupBytes,
                Integer.MAX_VALUE));
        if (segment == null) {
            segment = roll(w, a);
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
     * Makes the log's pending chunk durable, seals the last segment and creates a new one.
     *
     * @return the new segment, or null if the append failed (its error is set)
     */
    private Segment roll(LogWrite w, Append a) throws FailStop {
        Log log = w.log;
        Segment last = log.lastSegment();
        if (last != null && !last.isSealed() && last.hasRecords()) {
            if (w.segment == last && !w.chunk.isEmpty()) {
                if (!writeChunk(w)) {
                    a.error = diskFull(last.path(), null);
                    return null;
                }
                ready.addAll(w.chunk);
            }
            try {
                last.writeSeal();
            } catch (IOException e) {
                ready.removeAll(w.chunk);
                a.error = failWrite(w, last, e);
                return null;
            }
            force(last, true);
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
                a.error = diskFull(log.lastSegment() != null ? log.lastSegment().path() : ctx.logsDir, e);
                return null;
            }
            throw failStop("creating a segment of log '" + log.name() + "'", ctx.logsDir, e);
        } catch (StoreException e) {
            a.error = e;
            return null;
        }
    }

    /**
     * Writes the log's pending chunk.
     *
     * @return true if there was a chunk and it was written; false if there was none or the write
     *     failed (the chunk's appends then carry the error)
     */
    private boolean writeChunk(LogWrite w) throws FailStop {
        if (w.segment == null || w.chunk.isEmpty()) {
            return false;
        }
        ByteBuffer bytes = buffer.duplicate();
        bytes.limit(w.chunkEnd).position(w.chunkStart);
        long position = w.segment.writePosition() - (w.chunkEnd - w.chunkStart);
        try {
            w.segment.channel().writeFully(bytes, position);
            w.chunkStart = w.chunkEnd;
            return true;
        } catch (IOException e) {
            failWrite(w, w.segment, e);
            return false;
        }
    }

    /**
     * After a failed write to {@code segment}: fails the appends of the log's pending chunk if
     * it went to that segment, truncates the segment back to its durable end and retires it.
     *
     * @return the error the appends carry ({@code DISK_FULL}); any other failure stops the store
     */
    private StoreException failWrite(LogWrite w, Segment segment, IOException cause) throws FailStop {
        StoreException error = classifyWriteFailure(segment.path(), cause);
        if (w.segment == segment) {
            for (Append a : w.chunk) {
                a.error = error;
            }
            w.chunk.clear();
            w.segment = null;
        }
        try {
            segment.rewindToDurable();
        } catch (IOException e) {
            throw failStop("truncating after a failed write", segment.path(), e);
        }
        w.log.rewindTo(segment.durable().nextOffset());
        return error;
    }

    private StoreException classifyWriteFailure(Path file, IOException e) throws FailStop {
        if (isDiskFull(e)) {
            LOG.warn("write to {} failed: the disk is full; appends fail with DISK_FULL until space is freed", file);
            return diskFull(file, e);
        }
        throw failStop("writing", file, e);
    }

    private static StoreException diskFull(Path file, IOException cause) {
        return new StoreException(StoreException.Kind.DISK_FULL, "the disk holding " + file
                + " is full; nothing was written; retry once space is freed", cause);
    }

    static boolean isDiskFull(IOException e) {
        String message = e.getMessage();
        return message != null && (message.contains("No space left on device") || message.contains("Disk quota exceeded"));
    }

    private void force(Segment segment, boolean metadata) throws FailStop {
        long started = System.nanoTime();
        try {
            segment.channel().force(metadata);
        } catch (IOException e) {
            throw failStop("fsync", segment.path(), e);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (millis >= SLOW_FSYNC_MILLIS) {
            LOG.warn("fsync of {} took {} ms; acknowledgements waited for it", segment.path(), millis);
        }
    }

    private FailStop failStop(String what, Path file, Exception cause) {
        StoreException f = new StoreException(StoreException.Kind.FAILED, what + " of " + file + " failed ("
                + cause.getMessage() + "); the store refuses writes until it is restarted, and the appends that were "
                + "waiting were not acknowledged", cause);
        failure = f;
        LOG.error("store failed: {}", f.getMessage(), cause);
        ctx.config.listener().onFailure(f);
        return new FailStop();
    }

    /** Fails every append of the round that is not yet acknowledged, and everything queued. */
    private void failRemaining(StoreException error) {
        for (Append a : inRound) {
            a.error = error;
        }
        List<Append> failed = new ArrayList<>(inRound);
        List<Task> tasks = new ArrayList<>();
        lock.lock();
        try {
            for (Request r : queue) {
                if (r instanceof Append a) {
                    a.error = error;
                    failed.add(a);
                } else {
                    tasks.add((Task) r);
                }
            }
            queue.clear();
            queue.addAll(tasks);
        } finally {
            lock.unlock();
        }
        complete(failed);
    }

    private void complete(List<Append> appends) {
        long bytes = 0;
        for (Append a : appends) {
            bytes += a.bytes;
        }
        lock.lock();
        try {
            pendingBytes -= bytes;
        } finally {
            lock.unlock();
        }
        completions.execute(() -> {
            for (Append a : appends) {
                if (a.error != null) {
                    a.future.completeExceptionally(a.error);
                } else {
                    a.future.complete(new AppendResult(a.first, a.last, Sealing.resultView(a.seals)));
                }
            }
        });
    }

    /** Stops taking requests, finishes the queued ones and waits for the thread to end. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
            completions.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isCommitThread() {
        return Thread.currentThread() == thread;
    }
}
