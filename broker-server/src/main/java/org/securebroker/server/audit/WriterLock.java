package org.securebroker.server.audit;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.store.failure.StoreException.Kind;
import org.securebroker.store.io.Closeables;

/**
 * The lock a writer holds on its audit directory ({@code audit.lock}, an OS file lock), and the
 * question the verifier asks of it: is a broker writing this log now?
 *
 * <p>The writer takes an exclusive lock; {@link #probe} takes a shared one for a moment and
 * lets go, so it never blocks a writer for longer than that moment (and {@link #acquire} tries a
 * few times over {@value #ATTEMPTS} times {@value #RETRY_MILLIS} ms before it gives up, in case
 * a probe holds it just then). Within one JVM, OS locks are per process and closing any channel
 * on the file can drop the process's lock, so the directories this JVM writes are also kept in
 * a set, and {@link #probe} answers from it without touching their lock file. (A probe of the
 * writer's own JVM racing with {@link #acquire} could still drop the new lock when it closes its
 * channel; the probe is meant for the verifier's process, never the broker's.)
 *
 * <p>Thread-safety: thread-safe.
 */
final class WriterLock implements Closeable {

    static final String FILE = "audit.lock";
    private static final int ATTEMPTS = 10;
    private static final long RETRY_MILLIS = 20;

    /** The directories (real paths) a log of this JVM holds. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    /** What {@link #probe} found. */
    enum State {
        /** Another process, or a log of this JVM, holds the lock: a broker writes the log now. */
        HELD,
        /** Nobody holds it (or there is no lock file): no broker writes this log now. */
        FREE,
        /** The lock file cannot be opened or locked, so nobody can tell. */
        UNKNOWN
    }

    private final Path dir;
    private final FileChannel channel;
    private final AtomicBoolean closed = new AtomicBoolean();

    private WriterLock(Path dir, FileChannel channel) {
        this.dir = dir;
        this.channel = channel;
    }

    /**
     * Takes the directory's lock for a writer.
     *
     * @throws AuditUnavailableException if another writer (in this or another process) holds it
     */
    static WriterLock acquire(Path dir) throws IOException {
        Path key = dir.toRealPath();
        if (HELD.contains(key)) {
            throw alreadyOpen(dir);
        }
        FileChannel channel = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            for (int attempt = 1; ; attempt++) {
                FileLock held;
                try {
                    held = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    held = null; // a probe of this JVM holds it for a moment
                }
                if (held != null) {
                    HELD.add(key);
                    return new WriterLock(key, channel);
                }
                if (attempt == ATTEMPTS) {
                    throw alreadyOpen(dir);
                }
                pause();
            }
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(channel);
            throw e;
        }
    }

    private static AuditUnavailableException alreadyOpen(Path dir) {
        return new AuditUnavailableException(Kind.FAILED, "the audit log in " + dir + " is already open (in this or "
                + "another process); only one writer may append to it");
    }

    private static void pause() throws IOException {
        try {
            TimeUnit.MILLISECONDS.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the audit log's lock", e);
        }
    }

    /**
     * Whether a writer holds the lock of {@code dir} now. It only reads: a missing lock file is
     * {@link State#FREE} and is not created.
     */
    static State probe(Path dir) {
        Path lockFile = dir.resolve(FILE);
        if (!Files.exists(lockFile)) {
            return State.FREE;
        }
        try {
            if (HELD.contains(dir.toRealPath())) {
                return State.HELD;
            }
        } catch (IOException e) {
            return State.UNKNOWN;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.READ)) {
            FileLock shared;
            try {
                shared = channel.tryLock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException e) {
                return State.HELD; // held through another channel of this JVM
            }
            if (shared == null) {
                return State.HELD;
            }
            shared.release();
            return State.FREE;
        } catch (IOException e) {
            return State.UNKNOWN;
        }
    }

    /** Releases the lock; calling it again does nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            HELD.remove(dir);
            Closeables.closeQuietly(channel); // releases the lock
        }
    }
}
