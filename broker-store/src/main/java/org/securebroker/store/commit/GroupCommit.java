package org.securebroker.store.commit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.securebroker.store.failure.StoreException;

/**
 * A single writer thread that group-commits requests to files. {@link #submit} queues a request
 * and returns at once; the writer takes everything queued since its last round (within the
 * batch bounds of its {@link Settings}), hands it to its {@link Committer}, which encodes the
 * requests and writes them through the {@link Round}, then forces every file the round wrote,
 * each once, and only then completes the round's requests. Requests submitted while a round is in
 * progress wait for the next round and are written together in it: one fsync per file per round,
 * shared by all of them. The committer sees requests in submission order.
 *
 * <p>Failure rules (fail-stop, the same for every owner):
 * <ul>
 *   <li>A force that fails fails the writer for good. It is never retried: after a failed
 *       fsync the kernel may have dropped the dirty pages, and a second fsync could succeed
 *       without the data being on disk.
 *   <li>Any exception that escapes the committer's round fails the writer the same way. A write
 *       error reaches the committer first ({@link Round#write} throws it); the committer may
 *       handle it only where it can undo the write (the store on a full disk); otherwise it lets
 *       it escape.
 *   <li>Once failed, the writer never writes again: it runs no more rounds and {@link Round}
 *       refuses to write or force. Every request of the failing round, and every request queued,
 *       completes exceptionally with the failure (whatever the round had recorded for it), and
 *       every later {@link #submit} is refused with it. {@link #failed()} and {@link #failure()}
 *       tell the owner; {@link Committer#failed} is told once.
 *   <li>No request ever completes normally before every file its round wrote was forced.
 * </ul>
 *
 * <p>Tasks ({@link #task}) run on the writer thread between rounds, in submission order with the
 * requests: structural work (creating or deleting a log) that must not interleave with a round.
 * A task is not a write of the writer's: its future completes on the writer thread as soon as it
 * returns, and tasks still run after the writer has failed.
 *
 * <p>Closing ({@link #close}) refuses new requests and tasks, runs what is queued, then one last
 * round ({@link Round#last()}; it may be empty) and stops.
 *
 * <p>Thread-safety: thread-safe; {@link #submit}, {@link #task} and {@link #close} may be called
 * from any thread, and never block on I/O (except {@code close}, which waits for the last round).
 * The committer runs on the writer thread only. Completions run on the writer thread or, with
 * {@link Settings#completionThread()}, on a thread of their own, in round order.
 *
 * @param <R> the owner's requests
 */
public final class GroupCommit<R extends CommitRequest<?>> implements AutoCloseable {

    /** What a backlog bound counts. */
    public enum Backlog {
        /** Requests waiting for a round; the round being written does not count. */
        QUEUED,
        /** Requests not yet completed, the round being written included. */
        UNCOMPLETED
    }

    /**
     * How a writer batches and bounds its requests. Start from {@link #named(String)}.
     *
     * <p>Thread-safety: immutable.
     *
     * @param threadName the writer thread's name
     * @param completionThread the name of the thread that completes requests, or null to complete
     *     them on the writer thread
     * @param maxBatchWeight a round takes no more weight than this, unless its first request alone
     *     is heavier
     * @param maxBatchRequests a round takes no more requests than this
     * @param maxBacklog a request is refused ({@link Committer#overloaded}) if it would bring the
     *     backlog's weight above this
     * @param backlog what the backlog bound counts
     * @param lingerNanos once a request is queued, how long the writer waits for more before it
     *     takes them (0: it takes them at once)
     * @param idleRoundNanos how long an idle writer waits before it runs an empty round anyway
     *     (0: never), for owners with time-based work (a checkpoint that is due)
     */
    public record Settings(String threadName, String completionThread, long maxBatchWeight, int maxBatchRequests,
                           long maxBacklog, Backlog backlog, long lingerNanos, long idleRoundNanos) {

        public Settings {
            Objects.requireNonNull(threadName, "threadName");
            Objects.requireNonNull(backlog, "backlog");
            if (maxBatchWeight < 1 || maxBatchRequests < 1 || maxBacklog < 1 || lingerNanos < 0 || idleRoundNanos < 0) {
                throw new IllegalArgumentException("batch and backlog bounds must be positive, times not negative");
            }
        }

        /** No bounds, no linger, no idle rounds, completions on the writer thread. */
        public static Settings named(String threadName) {
            return new Settings(threadName, null, Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, Backlog.QUEUED, 0, 0);
        }

        public Settings completingOn(String thread) {
            return new Settings(threadName, thread, maxBatchWeight, maxBatchRequests, maxBacklog, backlog, lingerNanos,
                    idleRoundNanos);
        }

        public Settings maxBatch(long weight, int requests) {
            return new Settings(threadName, completionThread, weight, requests, maxBacklog, backlog, lingerNanos,
                    idleRoundNanos);
        }

        public Settings maxBacklog(long weight, Backlog counted) {
            return new Settings(threadName, completionThread, maxBatchWeight, maxBatchRequests, weight, counted,
                    lingerNanos, idleRoundNanos);
        }

        public Settings linger(Duration time) {
            return new Settings(threadName, completionThread, maxBatchWeight, maxBatchRequests, maxBacklog, backlog,
                    time.toNanos(), idleRoundNanos);
        }

        public Settings idleRounds(Duration every) {
            return new Settings(threadName, completionThread, maxBatchWeight, maxBatchRequests, maxBacklog, backlog,
                    lingerNanos, every.toNanos());
        }
    }

    private static final class Task<T> {
        final Callable<T> body;
        final CompletableFuture<T> future = new CompletableFuture<>();

        Task(Callable<T> body) {
            this.body = body;
        }

        void run() {
            T value;
            try {
                value = body.call();
            } catch (Exception | Error e) {
                // the task's caller gets it; the writer thread goes on
                future.completeExceptionally(e);
                return;
            }
            future.complete(value);
        }
    }

    private final Settings settings;
    private final Committer<R> committer;
    private final Round round = new Round(this);
    private final Thread thread;
    private final ExecutorService completions;
    private volatile Thread completionThread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    /** Requests (R) and tasks, in submission order. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private long queuedWeight; // under lock
    private long uncompletedWeight; // under lock
    private boolean closing; // under lock
    private volatile StoreException failure; // written under lock
    /** Requests taken out of the queue by the failure, to be failed after the round. */
    private final List<R> orphans = new ArrayList<>(); // under lock
    private boolean failureTold; // writer thread

    public GroupCommit(Settings settings, Committer<R> committer) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.committer = Objects.requireNonNull(committer, "committer");
        this.thread = new Thread(this::run, settings.threadName());
        this.thread.setDaemon(true);
        if (settings.completionThread() == null) {
            this.completions = null;
        } else {
            this.completions = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, settings.completionThread());
                t.setDaemon(true);
                completionThread = t;
                return t;
            });
        }
    }

    /** Starts the writer thread; requests submitted before wait for it. */
    public void start() {
        thread.start();
    }

    /**
     * Queues a request; its {@link CommitRequest#future() future} completes once a round wrote it
     * and forced it. If the writer has failed, is closing, or the request would exceed the backlog
     * bound, the future is completed exceptionally at once instead.
     *
     * @return whether the request was queued (false: refused, its future has failed)
     */
    public boolean submit(R request) {
        StoreException refused;
        lock.lock();
        try {
            refused = refusal(request);
            if (refused == null) {
                queue.add(request);
                queuedWeight += request.weight();
                uncompletedWeight += request.weight();
                wake.signal();
            }
        } finally {
            lock.unlock();
        }
        if (refused != null) {
            request.future().completeExceptionally(refused);
            return false;
        }
        return true;
    }

    private StoreException refusal(R request) {
        if (failure != null) {
            return failure;
        }
        if (closing) {
            return committer.closed();
        }
        long backlog = settings.backlog() == Backlog.QUEUED ? queuedWeight : uncompletedWeight;
        if (request.weight() > settings.maxBacklog() - backlog) {
            return committer.overloaded(request);
        }
        return null;
    }

    /**
     * Runs {@code body} on the writer thread between rounds, after every request and task
     * submitted before it. Its future completes on the writer thread with what the body returns
     * or throws. Refused with {@link Committer#closed} once the writer is closing.
     */
    public <T> CompletableFuture<T> task(Callable<T> body) {
        Task<T> task = new Task<>(Objects.requireNonNull(body, "body"));
        boolean refused;
        lock.lock();
        try {
            refused = closing;
            if (!refused) {
                queue.add(task);
                wake.signal();
            }
        } finally {
            lock.unlock();
        }
        if (refused) {
            task.future.completeExceptionally(committer.closed());
        }
        return task.future;
    }

    /** Whether the writer has failed for good. */
    public boolean failed() {
        return failure != null;
    }

    /** The failure that stopped the writer, or null. */
    public StoreException failure() {
        return failure;
    }

    /** Whether the calling thread is the writer thread. */
    public boolean isWriterThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * Refuses new requests and tasks, lets the writer run what is queued and its last round, and
     * waits for it to stop (and for the completions of the last round). Called on the writer
     * thread itself (from a completion), it returns at once; the writer stops after the current
     * round. Calling it again does nothing more.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (isWriterThread()) {
            return;
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (completions != null) {
            completions.shutdown();
            if (Thread.currentThread() != completionThread) {
                try {
                    completions.awaitTermination(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the writer thread

    private void run() {
        List<R> batch = new ArrayList<>();
        while (true) {
            batch.clear();
            Task<?> task = null;
            boolean last;
            lock.lock();
            try {
                awaitWork();
                if (queue.peek() instanceof Task<?> t) {
                    queue.poll();
                    task = t;
                    last = false;
                } else {
                    take(batch);
                    last = closing && queue.isEmpty();
                }
            } finally {
                lock.unlock();
            }
            if (task != null) {
                task.run();
                continue;
            }
            commit(batch, last);
            if (last) {
                break;
            }
        }
        try {
            committer.stopped();
        } finally {
            if (completions != null) {
                completions.shutdown();
            }
        }
    }

    /** Waits, under the lock, until there is work, the writer is closing, or an idle round is due. */
    private void awaitWork() {
        long idle = settings.idleRoundNanos();
        while (queue.isEmpty() && !closing) {
            if (idle == 0) {
                wake.awaitUninterruptibly();
            } else {
                idle = awaitNanos(idle);
                if (idle <= 0) {
                    return;
                }
            }
        }
        if (settings.lingerNanos() > 0 && !closing && !queue.isEmpty() && !(queue.peek() instanceof Task)) {
            long left = settings.lingerNanos();
            while (!closing && left > 0) {
                left = awaitNanos(left);
            }
        }
    }

    /** Nobody interrupts the writer thread but to stop it: an interrupt closes the writer. */
    private long awaitNanos(long nanos) {
        try {
            return wake.awaitNanos(nanos);
        } catch (InterruptedException e) {
            closing = true;
            return 0;
        }
    }

    @SuppressWarnings("unchecked")
    private void take(List<R> batch) {
        long weight = 0;
        while (!queue.isEmpty() && !(queue.peek() instanceof Task)) {
            R next = (R) queue.peek();
            if (!batch.isEmpty() && (batch.size() >= settings.maxBatchRequests()
                    || next.weight() > settings.maxBatchWeight() - weight)) {
                break;
            }
            queue.poll();
            batch.add(next);
            weight += next.weight();
            queuedWeight -= next.weight();
        }
    }

    private void commit(List<R> batch, boolean last) {
        if (failure == null) {
            round.begin(last);
            try {
                committer.commit(batch, round);
                int files = round.forceWritten();
                committer.durable(batch, files);
            } catch (FailStop e) {
                // the failure is recorded
            } catch (Exception | Error e) {
                Path file = round.fileOfFailedWrite(e);
                failStop(file != null ? Round.WRITING : Round.COMMITTING, file, e);
            }
        }
        StoreException failed = failure;
        List<R> done = new ArrayList<>(batch);
        if (failed != null) {
            if (!failureTold) {
                failureTold = true;
                committer.failed(failed);
            }
            lock.lock();
            try {
                done.addAll(orphans);
                orphans.clear();
            } finally {
                lock.unlock();
            }
        }
        complete(done, failed);
    }

    /**
     * Records the failure (the first one counts), and takes every queued request out of the
     * queue; tasks stay.
     */
    @SuppressWarnings("unchecked")
    StoreException failStop(String doing, Path file, Throwable cause) {
        StoreException made = failure == null ? committer.failure(doing, file, cause) : null;
        lock.lock();
        try {
            if (failure == null) {
                failure = made;
                List<Object> tasks = new ArrayList<>();
                for (Object o : queue) {
                    if (o instanceof Task) {
                        tasks.add(o);
                    } else {
                        R r = (R) o;
                        orphans.add(r);
                        queuedWeight -= r.weight();
                    }
                }
                queue.clear();
                queue.addAll(tasks);
            }
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /** Throws {@link FailStop} if the writer has failed: it never writes again. */
    void checkWritable() {
        StoreException f = failure;
        if (f != null) {
            throw new FailStop(f);
        }
    }

    private void complete(List<R> done, StoreException failed) {
        if (done.isEmpty()) {
            return;
        }
        long weight = 0;
        for (R r : done) {
            weight += r.weight();
        }
        lock.lock();
        try {
            uncompletedWeight -= weight;
        } finally {
            lock.unlock();
        }
        Runnable completion = () -> {
            for (R r : done) {
                r.complete(failed);
            }
        };
        if (completions == null) {
            completion.run();
        } else {
            completions.execute(completion);
        }
    }
}
