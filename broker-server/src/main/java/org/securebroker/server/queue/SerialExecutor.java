package org.securebroker.server.queue;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import org.securebroker.server.limits.FatalErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: each queue owns one, so its
 * state needs no locks while many queues run in parallel. Whenever it has run every task
 * submitted so far, it runs its {@code whenIdle} action (still as one of its tasks), so its owner
 * can publish what other threads may read without waiting for it.
 *
 * <p>Thread-safety: {@link #execute} is thread-safe.
 */
final class SerialExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor pool;
    private final Runnable whenIdle;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;

    SerialExecutor(Executor pool) {
        this(pool, () -> { });
    }

    SerialExecutor(Executor pool, Runnable whenIdle) {
        this.pool = pool;
        this.whenIdle = whenIdle;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (tasks) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        pool.execute(this::drain);
    }

    private void drain() {
        for (int i = 0; i < 256; i++) {
            Runnable next;
            synchronized (tasks) {
                next = tasks.poll();
            }
            if (next == null) {
                run(whenIdle);
                synchronized (tasks) {
                    if (tasks.isEmpty()) {
                        running = false;
                        return;
                    }
                }
                continue;
            }
            run(next);
        }
        pool.execute(this::drain);
    }

    private static void run(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("queue task failed", e);
        } catch (VirtualMachineError e) {
            // the queue's remaining tasks would never run: the broker exits rather than stall this queue
            FatalErrors.haltIfFatal(e);
            throw e;
        }
    }
}
