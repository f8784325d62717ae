package org.securebroker.client;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names and creates the client's own threads. All are daemon threads, so a client that was
 * never closed does not keep the JVM alive.
 *
 * <p>Thread-safety: stateless apart from thread counters.
 */
final class ClientThreads {

    private static final AtomicInteger CLIENTS = new AtomicInteger();

    private ClientThreads() {
    }

    /** A process-unique name for a new client, e.g. {@code broker-client-3}. */
    static String nextClientName() {
        return "broker-client-" + CLIENTS.incrementAndGet();
    }

    /** Creates daemon threads named {@code name}, {@code name-2}, ... */
    static ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            int n = count.incrementAndGet();
            Thread t = new Thread(runnable, n == 1 ? name : name + "-" + n);
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs {@code task} on {@code executor}, or on the calling thread if it was shut down. */
    static void run(Executor executor, Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }
}
