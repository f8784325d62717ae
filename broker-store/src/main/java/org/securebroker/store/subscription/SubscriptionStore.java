package org.securebroker.store.subscription;

import static org.securebroker.store.subscription.SubscriptionFormat.ACK;
import static org.securebroker.store.subscription.SubscriptionFormat.CREATE;
import static org.securebroker.store.subscription.SubscriptionFormat.DELETE;
import static org.securebroker.store.subscription.SubscriptionFormat.DELETE_LOG;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.commit.CommitRequest;
import org.securebroker.store.commit.Committer;
import org.securebroker.store.commit.GroupCommit;
import org.securebroker.store.commit.Round;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable state of every subscription of every log. Changes apply in memory at once and are
 * appended to a journal by the store's subscription writer ("store-subscriptions", a
 * {@link GroupCommit}), which writes and fdatasyncs everything pending at most
 * {@code syncInterval} after it arrived (group commit); a change's future completes after that
 * fsync. When the journal grows past {@code compactBytes}, the whole state is written to a new
 * snapshot and a new, empty journal generation starts.
 *
 * <p>The files ({@code snapshot}, {@code journal-GENERATION}) are described in
 * {@link SubscriptionFormat}. On open, the journal is replayed up to its first damaged entry and
 * truncated there: changes lost that way are acknowledgements not yet durable, so at worst
 * messages are delivered again.
 *
 * <p>Each change is encoded, and queued to the writer, under the lock that guards the state, so
 * the journal holds changes in the order they were applied. A snapshot is encoded under that lock
 * too (it is the state after every change queued before it and before every change queued after
 * it), but written and forced by the writer thread, which holds no lock an acknowledgement takes:
 * acknowledgements go on while a snapshot is being written.
 *
 * <p>Failure rules: those of {@link GroupCommit}: a failed write or fsync fails every change not
 * yet durable, and every later one, with {@code FAILED}, and is reported to {@code onFailure}.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class SubscriptionStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionStore.class);
    private static final String SNAPSHOT = "snapshot";
    private static final String JOURNAL_PREFIX = "journal-";

    /** What the writer makes durable: a journal entry, or a whole snapshot. */
    private abstract static class Change extends CommitRequest<Void> {
        Change() {
            super(0);
        }

        @Override
        protected Void result() {
            return null;
        }
    }

    /** One encoded journal entry (length, CRC and body). */
    private static final class Entry extends Change {
        final byte[] bytes;

        Entry(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    /** The whole state as of the changes queued before it, to start journal generation {@code generation}. */
    private static final class Snapshot extends Change {
        final long generation;
        final ByteBuffer content;

        Snapshot(long generation, ByteBuffer content) {
            this.generation = generation;
            this.content = content;
        }
    }

    private final Path dir;
    private final FileLayer layer;
    private final long compactBytes;
    private final Consumer<StoreException> onFailure;
    private final GroupCommit<Change> writer;

    private final Object lock = new Object();
    // under lock
    private final Map<String, Map<String, AckSet>> logs = new HashMap<>();
    /** Bytes queued for the journal of the newest generation queued, written ones included. */
    private long journalBytesQueued;
    /** The generation of the newest snapshot queued (or read on open). */
    private long generationQueued;

    // the writer thread's (the opening thread's until the writer starts)
    private long generation;
    private StorageChannel journal;
    private long journalSize;
    private ByteBuffer entries = ByteBuffer.allocate(64 * 1024);
    private IOException closeFailure;

    private final long truncatedBytes;

    private SubscriptionStore(Path dir, FileLayer layer, Duration syncInterval, long compactBytes,
                              Consumer<StoreException> onFailure) throws IOException {
        this.dir = dir;
        this.layer = layer;
        this.compactBytes = compactBytes;
        this.onFailure = onFailure;
        Files.createDirectories(dir);
        Path snapshot = dir.resolve(SNAPSHOT);
        if (Files.exists(snapshot)) {
            generation = SubscriptionFormat.readSnapshot(snapshot, logs);
        }
        Path journalFile = journalFile(generation);
        if (!Files.exists(journalFile)) {
            AtomicFiles.createOwnerOnly(journalFile);
            layer.syncDirectory(dir);
        }
        journal = layer.open(journalFile, false);
        long valid = SubscriptionFormat.replay(journal, this::apply);
        long size = journal.size();
        truncatedBytes = size - valid;
        if (truncatedBytes > 0) {
            LOG.warn("subscription journal {}: truncated {} damaged or incomplete bytes at its end; acknowledgements in "
                    + "them were not durable and their messages will be delivered again", journalFile, truncatedBytes);
            journal.truncate(valid);
            journal.force(true);
        }
        journalSize = valid;
        journalBytesQueued = valid;
        generationQueued = generation;
        deleteOtherJournals();
        writer = new GroupCommit<>(GroupCommit.Settings.named("store-subscriptions").linger(syncInterval),
                new JournalCommitter());
        writer.start();
    }

    /** Opens (recovering) the subscription state in {@code dir}. */
    public static SubscriptionStore open(Path dir, FileLayer layer, Duration syncInterval, long compactBytes,
                                         Consumer<StoreException> onFailure) throws IOException {
        return new SubscriptionStore(dir, layer, syncInterval, compactBytes, onFailure);
    }

    /** Bytes cut from the journal's end when it was opened. */
    public long truncatedBytes() {
        return truncatedBytes;
    }

    /** The per-log view. */
    public Subscriptions forLog(String log) {
        return new Subscriptions(this, log);
    }

    /** Names of logs that have subscription state. */
    public Set<String> logNames() {
        synchronized (lock) {
            return Set.copyOf(logs.keySet());
        }
    }

    /** Forgets every subscription of a log, durably; the future completes after the fsync. */
    public CompletableFuture<Void> deleteLog(String log) {
        synchronized (lock) {
            logs.remove(log);
            return record(DELETE_LOG, log, "", 0, 0);
        }
    }

    // ---- operations behind Subscriptions ----

    CompletableFuture<SubscriptionSnapshot> create(String log, String name, long startOffset) {
        validateName(name);
        synchronized (lock) {
            Map<String, AckSet> subs = logs.computeIfAbsent(log, k -> new LinkedHashMap<>());
            AckSet existing = subs.get(name);
            if (existing != null) {
                return CompletableFuture.completedFuture(snapshotOf(log, name, existing));
            }
            AckSet created = new AckSet(startOffset);
            subs.put(name, created);
            SubscriptionSnapshot snapshot = snapshotOf(log, name, created);
            return record(CREATE, log, name, startOffset, 0).thenApply(v -> snapshot);
        }
    }

    CompletableFuture<Void> ack(String log, String name, long from, long to) {
        if (from < 0 || to <= from) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "invalid ack range [" + from + ", " + to + ")");
        }
        synchronized (lock) {
            AckSet set = find(log, name);
            if (!set.ack(from, to)) {
                StoreException failure = writer.failure();
                return failure == null ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(failure);
            }
            return record(ACK, log, name, from, to);
        }
    }

    boolean isAcked(String log, String name, long offset) {
        synchronized (lock) {
            return find(log, name).isAcked(offset);
        }
    }

    CompletableFuture<Void> delete(String log, String name) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            if (subs == null || subs.remove(name) == null) {
                return CompletableFuture.completedFuture(null);
            }
            return record(DELETE, log, name, 0, 0);
        }
    }

    SubscriptionSnapshot get(String log, String name) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            AckSet set = subs == null ? null : subs.get(name);
            return set == null ? null : snapshotOf(log, name, set);
        }
    }

    List<SubscriptionSnapshot> list(String log) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            List<SubscriptionSnapshot> out = new ArrayList<>();
            if (subs != null) {
                subs.forEach((name, set) -> out.add(snapshotOf(log, name, set)));
            }
            return out;
        }
    }

    long lowWaterMark(String log, long whenNone) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            if (subs == null || subs.isEmpty()) {
                return whenNone;
            }
            long min = Long.MAX_VALUE;
            for (AckSet set : subs.values()) {
                min = Math.min(min, set.committed());
            }
            return min;
        }
    }

    private AckSet find(String log, String name) {
        Map<String, AckSet> subs = logs.get(log);
        AckSet set = subs == null ? null : subs.get(name);
        if (set == null) {
            throw new StoreException(StoreException.Kind.SUBSCRIPTION_NOT_FOUND,
                    "log '" + log + "' has no subscription '" + name + "'");
        }
        return set;
    }

    private static SubscriptionSnapshot snapshotOf(String log, String name, AckSet set) {
        return new SubscriptionSnapshot(log, name, set.committed(), set.ranges());
    }

    private static void validateName(String name) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "a subscription name has 1 to 255 bytes");
        }
    }

    /**
     * Queues a journal entry, and a snapshot once the journal would pass {@code compactBytes};
     * called with the lock held, right after the change was applied, so the writer gets changes
     * in the order they were applied and a snapshot of exactly the changes queued before it.
     */
    private CompletableFuture<Void> record(byte type, String log, String name, long a, long b) {
        Entry change = new Entry(SubscriptionFormat.entry(type, log, name, a, b));
        if (writer.submit(change)) {
            journalBytesQueued += change.bytes.length;
            if (journalBytesQueued > compactBytes) {
                long next = generationQueued + 1;
                if (writer.submit(new Snapshot(next, SubscriptionFormat.snapshot(next, logs)))) {
                    generationQueued = next;
                    journalBytesQueued = 0;
                }
            }
        }
        return change.future();
    }

    private void apply(byte type, String log, String name, long a, long b) {
        switch (type) {
            case CREATE -> logs.computeIfAbsent(log, k -> new LinkedHashMap<>()).putIfAbsent(name, new AckSet(a));
            case ACK -> {
                Map<String, AckSet> subs = logs.get(log);
                AckSet set = subs == null ? null : subs.get(name);
                if (set != null && a < b) {
                    set.ack(a, b);
                }
            }
            case DELETE -> {
                Map<String, AckSet> subs = logs.get(log);
                if (subs != null) {
                    subs.remove(name);
                }
            }
            case DELETE_LOG -> logs.remove(log);
            default -> throw new IllegalArgumentException("unknown entry type " + type);
        }
    }

    // ---- the writer thread ----

    /** Writes journal entries, or a snapshot and the entries after it, for each round. */
    private final class JournalCommitter implements Committer<Change> {

        @Override
        public void commit(List<Change> batch, Round round) throws IOException {
            int from = 0;
            for (int i = batch.size() - 1; i >= 0; i--) {
                if (batch.get(i) instanceof Snapshot s) {
                    // it holds every change queued before it: those need no journal entry
                    compact(s);
                    from = i + 1;
                    break;
                }
            }
            entries.clear();
            for (Change c : batch.subList(from, batch.size())) {
                if (c instanceof Entry e) {
                    if (entries.remaining() < e.bytes.length) {
                        ByteBuffer bigger = ByteBuffer.allocate(Math.max(entries.capacity() * 2,
                                entries.position() + e.bytes.length));
                        entries.flip();
                        entries = bigger.put(entries);
                    }
                    entries.put(e.bytes);
                }
            }
            entries.flip();
            if (!entries.hasRemaining()) {
                return;
            }
            int length = entries.remaining();
            round.write(journal, journalFile(generation), entries, journalSize);
            journalSize += length;
            if (entries.capacity() > (4 << 20)) {
                entries = ByteBuffer.allocate(64 * 1024);
            }
        }

        @Override
        public StoreException failure(String doing, Path file, Throwable cause) {
            return new StoreException(StoreException.Kind.FAILED, "writing subscription state in " + dir
                    + " failed (" + cause.getMessage() + "); the store refuses writes until it is restarted", cause);
        }

        @Override
        public void failed(StoreException failure) {
            LOG.error("subscription journal failed", failure.getCause());
            onFailure.accept(failure);
        }

        @Override
        public StoreException closed() {
            return new StoreException(StoreException.Kind.CLOSED, "the store is closed");
        }

        @Override
        public void stopped() {
            try {
                journal.close();
            } catch (IOException e) {
                closeFailure = e;
            }
        }
    }

    /**
     * Makes {@code snapshot} the state on disk: writes it atomically, starts its (empty) journal
     * generation and deletes the previous journal.
     */
    private void compact(Snapshot snapshot) throws IOException {
        long next = snapshot.generation;
        Path nextJournal = journalFile(next);
        Files.deleteIfExists(nextJournal);
        AtomicFiles.createOwnerOnly(nextJournal);
        AtomicFiles.write(layer, dir.resolve(SNAPSHOT), snapshot.content);
        StorageChannel old = journal;
        journal = layer.open(nextJournal, false);
        journalSize = 0;
        long previous = generation;
        generation = next;
        old.close();
        Files.deleteIfExists(journalFile(previous));
        layer.syncDirectory(dir);
    }

    private Path journalFile(long gen) {
        return dir.resolve(JOURNAL_PREFIX + gen);
    }

    private void deleteOtherJournals() throws IOException {
        String keep = JOURNAL_PREFIX + generation;
        boolean deleted = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, JOURNAL_PREFIX + "*")) {
            for (Path p : entries) {
                if (!AtomicFiles.nameOf(p).equals(keep)) {
                    Files.delete(p);
                    deleted = true;
                }
            }
        }
        if (deleted) {
            layer.syncDirectory(dir);
        }
    }

    /** Makes what is pending durable and stops the writer. */
    @Override
    public void close() throws IOException {
        writer.close();
        if (closeFailure != null && !writer.isWriterThread()) {
            throw closeFailure;
        }
    }
}
