package org.securebroker.server.limits;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the broker does with an {@link OutOfMemoryError} or any other
 * {@link VirtualMachineError}: it exits at once. A broker that ran out of memory may have lost a
 * task half-way (a publish never answered, a queue executor that stopped, a store thread gone),
 * and carrying on would look healthy while it silently is not; a supervisor restarting it
 * recovers every stored message instead. The JVM flag {@code -XX:+ExitOnOutOfMemoryError} does
 * the same for errors no broker code sees; this covers those that a future or a handler would
 * otherwise catch and report as a failed request.
 *
 * <p>Thread-safety: thread-safe (stateless).
 */
public final class FatalErrors {

    /** The broker's exit status after a fatal JVM error (the JVM's own OOM exit is 3). */
    public static final int EXIT_STATUS = 97;

    private static final Logger LOG = LoggerFactory.getLogger(FatalErrors.class);

    private FatalErrors() {
    }

    /** Whether {@code error}, or a cause of it, is a JVM error the broker cannot survive. */
    public static boolean isFatal(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof VirtualMachineError) {
                return true;
            }
        }
        return false;
    }

    /** Halts the JVM if {@code error} is fatal ({@link #isFatal}); else returns. */
    public static void haltIfFatal(Throwable error) {
        if (isFatal(error)) {
            halt(Thread.currentThread().getName(), error);
        }
    }

    /**
     * The handler for threads that die of an uncaught throwable: a fatal one halts the broker,
     * others are logged.
     */
    public static Thread.UncaughtExceptionHandler uncaughtHandler() {
        return (thread, error) -> {
            if (isFatal(error)) {
                halt(thread.getName(), error);
            }
            LOG.error("thread {} ended by an uncaught exception", thread.getName(), error);
        };
    }

    private static void halt(String thread, Throwable error) {
        String what = error instanceof OutOfMemoryError ? "out of memory" : "JVM error " + error.getClass().getName();
        // one line to stderr first: with no memory left, the logger may not manage to write
        System.err.println("FATAL: " + what + " in thread " + thread + " (" + error.getMessage()
                + "); the broker exits with status " + EXIT_STATUS);
        try {
            LOG.error("FATAL: {} in thread {} ({}); the broker exits with status {}", what, thread, error.getMessage(),
                    EXIT_STATUS);
        } finally {
            // halt, not exit: shutdown hooks would need the memory and the threads that just failed
            Runtime.getRuntime().halt(EXIT_STATUS);
        }
    }
}
