package org.securebroker.store.commit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.securebroker.store.io.StorageChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round of a {@link GroupCommit}, as its {@link Committer} sees it: the committer writes
 * through it, and the round remembers every file written so that the writer forces each of them
 * once when the committer is done (one fsync per file per round, shared by every request of the
 * round). {@link #force} forces a file earlier, where the owner needs an order on disk (a segment
 * finished before the next is created, an audit file before rotation).
 *
 * <p>Thread-safety: used by the writer thread only, during {@link Committer#commit}.
 */
public final class Round {

    /** What failed, for {@link Committer#failure}: a write through {@link #write}. */
    public static final String WRITING = "writing";
    /** What failed, for {@link Committer#failure}: a force, {@link #force} or the round's own. */
    public static final String FSYNC = "fsync";
    /** What failed, for {@link Committer#failure}: an exception the committer did not name. */
    public static final String COMMITTING = "a group commit";

    private static final Logger LOG = LoggerFactory.getLogger(Round.class);
    private static final long SLOW_FSYNC_MILLIS = 100;

    private final GroupCommit<?> writer;
    /** Files written and not forced since, in the order they were first written. */
    private final Map<StorageChannel, Path> unforced = new LinkedHashMap<>();
    private boolean last;
    private IOException failedWrite;
    private Path failedWriteFile;

    Round(GroupCommit<?> writer) {
        this.writer = writer;
    }

    void begin(boolean lastRound) {
        unforced.clear();
        last = lastRound;
        failedWrite = null;
        failedWriteFile = null;
    }

    /** Whether this is the writer's last round: it is closing and nothing else is queued. */
    public boolean last() {
        return last;
    }

    /**
     * Writes all of {@code src} at {@code position}; the file is forced before the round's
     * requests complete.
     *
     * @throws IOException if the write failed. Let it escape the round (the writer then fails for
     *     good) unless the owner can undo the write, as the store does on a full disk (truncate
     *     the file back to its durable end, then {@link #forget} it)
     * @throws FailStop if the writer has failed: it never writes again
     */
    public void write(StorageChannel channel, Path file, ByteBuffer src, long position) throws IOException {
        writer.checkWritable();
        try {
            channel.writeFully(src, position);
        } catch (IOException e) {
            failedWrite = e;
            failedWriteFile = file;
            throw e;
        }
        unforced.putIfAbsent(channel, file);
    }

    /**
     * Forces {@code channel} now (an fdatasync, or a full fsync with {@code metadata}); the round
     * does not force it again unless it is written again.
     *
     * @throws FailStop if the force failed (the writer has failed for good: a failed fsync is never
     *     retried) or the writer had failed before
     */
    public void force(StorageChannel channel, Path file, boolean metadata) {
        writer.checkWritable();
        long started = System.nanoTime();
        try {
            channel.force(metadata);
        } catch (IOException e) {
            throw fail(FSYNC, file, e);
        }
        unforced.remove(channel);
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (millis >= SLOW_FSYNC_MILLIS) {
            LOG.warn("fsync of {} took {} ms; completions waited for it", file, millis);
        }
    }

    /**
     * Forgets the writes to {@code channel} in this round: the owner undid them (truncated the
     * file back to what was durable and forced that), so the round must not force it.
     */
    public void forget(StorageChannel channel) {
        unforced.remove(channel);
    }

    /**
     * Fails the writer for good, for a failure of the owner's own I/O during the round (creating a
     * file, truncating after a failed write); the committer's {@link Committer#failure} gets
     * {@code doing} and {@code file}.
     *
     * @return the exception to throw out of the round
     */
    public FailStop fail(String doing, Path file, Throwable cause) {
        return new FailStop(writer.failStop(doing, file, cause));
    }

    /** Forces every file written and not forced since, in the order first written. */
    int forceWritten() {
        int files = 0;
        while (!unforced.isEmpty()) {
            Map.Entry<StorageChannel, Path> next = unforced.entrySet().iterator().next();
            force(next.getKey(), next.getValue(), false);
            files++;
        }
        return files;
    }

    /** The write failure {@code cause} is, if it came from {@link #write}: its file; else null. */
    Path fileOfFailedWrite(Throwable cause) {
        return cause == failedWrite ? failedWriteFile : null;
    }
}
