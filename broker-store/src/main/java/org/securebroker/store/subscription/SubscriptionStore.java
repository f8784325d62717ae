package org.securebroker.store.subscription;

import static org.securebroker.store.subscription.SubscriptionFormat.ACK;
import static org.securebroker.store.subscription.SubscriptionFormat.CREATE;
import static org.securebroker.store.subscription.SubscriptionFormat.DELETE;
import static org.securebroker.store.subscription.SubscriptionFormat.DELETE_LOG;
import static org.securebroker.store.subscription.SubscriptionFormat.SEEK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.securebroker.store.commit.CommitRequest;
import org.securebroker.store.commit.Committer;
import org.securebroker.store.commit.GroupCommit;
import org.securebroker.store.commit.Round;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.io.DiskSpace;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable state of every subscription of every log. Changes apply in memory at once and are
 * appended to a journal by the store's subscription writer ("store-subscriptions", a
 * {@link GroupCommit}), which writes and fdatasyncs everything pending at most
 * {@code syncInterval} after it arrived (group commit); a change's future completes after that
 * fsync. When the journal grows past {@code compactBytes}, or the keyring's current KEK changes,
 * the whole state is written to a new snapshot and a new, empty journal generation starts.
 *
 * <p>The files ({@code snapshot}, {@code journal-GENERATION}) are described in
 * {@link SubscriptionFormat}: the snapshot carries an HMAC-SHA256 tag under a key derived from a
 * KEK it names, and each journal entry a truncated tag chained to the one before it, made on the
 * writer thread, never on the caller's. How open checks them against the checkpoint the store's
 * state file recorded, and what it refuses, is {@link SubscriptionRecovery}'s comment.
 *
 * <p>Checkpoints: {@link #durableCheckpoint()} says how far the state is durable, for the store's
 * state file to record. On open, the snapshot may be at most one generation ahead of the recorded
 * checkpoint, so a compaction waits until the generation it leaves behind could be what the state
 * file holds: once a checkpoint has been handed out ({@code durableCheckpoint}) or given
 * ({@code expected}), the next generation is started only after {@link #checkpointRecorded} has
 * reported the current one. Acknowledgements after the last recorded checkpoint can be lost to a
 * rollback of these files that the checks cannot see; their messages are then delivered again,
 * the same at-least-once window as a crash.
 *
 * <p>Each change is encoded, and queued to the writer, under the lock that guards the state, so
 * the journal holds changes in the order they were applied. A snapshot is encoded under that lock
 * too (it is the state after every change queued before it and before every change queued after
 * it), but tagged, written and forced by the writer thread, which holds no lock an acknowledgement
 * takes: acknowledgements go on while a snapshot is being written.
 *
 * <p>Failure rules: those of {@link GroupCommit}: a failed write or fsync fails every change not
 * yet durable, and every later one, with {@code FAILED}, and is reported to {@code onFailure}.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class SubscriptionStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionStore.class);

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

    /** One journal entry's body; the writer frames and tags it. */
    private static final class Entry extends Change {
        final byte[] body;

        Entry(byte[] body) {
            this.body = body;
        }
    }

    /**
     * The whole state as of the changes queued before it, to start journal generation
     * {@code generation} under {@code key}; its tag is not made yet.
     */
    private static final class Snapshot extends Change {
        final long generation;
        final byte[] content;
        final MetadataMac key;

        Snapshot(long generation, byte[] content, MetadataMac key) {
            this.generation = generation;
            this.content = content;
            this.key = key;
        }
    }

    private final SubscriptionFiles files;
    private final long compactBytes;
    private final Consumer<StoreException> onFailure;
    private final GroupCommit<Change> writer;
    private final long truncatedBytes;

    private final Object lock = new Object();
    // under lock
    private final Map<String, Map<String, AckSet>> logs;
    /** Entry bytes queued for the journal of the newest generation queued, written ones included. */
    private long journalBytesQueued;
    /** The generation of the newest snapshot queued (or found on open). */
    private long generationQueued;
    /** The key of the newest snapshot queued (or found on open). */
    private MetadataMac keyQueued;
    /** The metadata key of the keyring's current KEK: the next snapshot's. */
    private MetadataMac currentKey;
    /**
     * The oldest generation a state file may hold now: the last one recorded, or the first one
     * handed out; -1 while neither happened, and then compactions are not held back.
     */
    private long oldestRecordable;
    /** The generation whose compaction was last reported as held back, to say so once. */
    private long heldBackReported = -1;

    // the writer thread's (the opening thread's until the writer starts)
    private long generation;
    private StorageChannel journal;
    private long journalSize;
    private EntryChain chain;
    private ByteBuffer entries = ByteBuffer.allocate(64 * 1024);
    private IOException closeFailure;

    // written by the writer thread, read by any
    private volatile SubscriptionCheckpoint durable;
    /** The key of the files on disk. */
    private volatile MetadataMac keyOnDisk;

    private SubscriptionStore(Path dir, FileLayer layer, Duration syncInterval, long compactBytes,
                              Consumer<StoreException> onFailure, Keyring keyring, SubscriptionCheckpoint expected)
            throws IOException {
        this.files = new SubscriptionFiles(dir, layer);
        this.compactBytes = compactBytes;
        this.onFailure = onFailure;
        SubscriptionRecovery.Recovered recovered = SubscriptionRecovery.recover(files, keyring, expected);
        this.logs = recovered.logs();
        this.truncatedBytes = recovered.truncatedBytes();
        this.generation = recovered.generation();
        this.journal = recovered.journal();
        this.journalSize = recovered.journalSize();
        this.chain = recovered.chain();
        this.durable = new SubscriptionCheckpoint(generation, chain.entries());
        this.keyOnDisk = recovered.key();
        this.keyQueued = recovered.key();
        this.generationQueued = generation;
        this.journalBytesQueued = journalSize - SubscriptionFormat.JOURNAL_HEADER_BYTES;
        this.currentKey = MetadataMac.derive(keyring.current(), SubscriptionFormat.PURPOSE);
        this.oldestRecordable = expected == null ? -1 : expected.generation();
        writer = new GroupCommit<>(GroupCommit.Settings.named("store-subscriptions").linger(syncInterval),
                new JournalCommitter());
        writer.start();
        synchronized (lock) {
            // state under a retired KEK, or a journal left long by held-back compactions
            maybeCompact();
        }
    }

    /**
     * Opens (recovering) the subscription state in {@code dir}, checking it against
     * {@code expected}; the rules are {@link SubscriptionRecovery}'s.
     *
     * @param keyring the KEKs the files may name; new snapshots use its current one
     * @param expected the checkpoint the store's authenticated state file recorded, or null if the
     *     store has no state file yet (a new store, or one written by an older version: then
     *     version-1 files are accepted and rewritten as version 2 at once)
     * @throws StoreException {@code CORRUPTED_METADATA} if the files are damaged, edited, missing,
     *     shortened or rolled back (the message names the file and the fix), {@code KEY_ERROR} if
     *     they name a KEK the keyring lacks
     */
    public static SubscriptionStore open(Path dir, FileLayer layer, Duration syncInterval, long compactBytes,
                                         Consumer<StoreException> onFailure, Keyring keyring,
                                         SubscriptionCheckpoint expected) throws IOException {
        Objects.requireNonNull(keyring, "keyring");
        return new SubscriptionStore(dir, layer, syncInterval, compactBytes, onFailure, keyring, expected);
    }

    /** Bytes cut from the journal's end when it was opened: a torn tail. */
    public long truncatedBytes() {
        return truncatedBytes;
    }

    /**
     * The generation and number of journal entries that are durable (fdatasynced) now, for the
     * store's state file to record. From the first call on, a compaction waits until
     * {@link #checkpointRecorded} reports that the state file holds the generation it leaves
     * behind (see the class comment).
     */
    public SubscriptionCheckpoint durableCheckpoint() {
        synchronized (lock) {
            SubscriptionCheckpoint now = durable;
            if (oldestRecordable < 0) {
                oldestRecordable = now.generation();
            }
            return now;
        }
    }

    /**
     * Tells the store that its state file now durably holds {@code recorded} (a value
     * {@link #durableCheckpoint()} returned), so that compaction may start the generation after it.
     *
     * @throws StoreException {@code INVALID_ARGUMENT} if {@code recorded} was never durable
     */
    public void checkpointRecorded(SubscriptionCheckpoint recorded) {
        Objects.requireNonNull(recorded, "recorded");
        SubscriptionCheckpoint now = durable;
        if (recorded.generation() > now.generation()
                || (recorded.generation() == now.generation() && recorded.entries() > now.entries())) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "subscription checkpoint " + recorded
                    + " is ahead of the durable state " + now);
        }
        synchronized (lock) {
            oldestRecordable = Math.max(oldestRecordable, recorded.generation());
            maybeCompact();
        }
    }

    /**
     * The ids of the KEKs that authenticate the subscription files on disk, or a snapshot queued
     * for them. A KEK leaves this set once a compaction has rewritten the state under another.
     */
    public Set<String> kekIdsInUse() {
        synchronized (lock) {
            String onDisk = keyOnDisk.kekId();
            return onDisk.equals(keyQueued.kekId()) ? Set.of(onDisk) : Set.of(onDisk, keyQueued.kekId());
        }
    }

    /**
     * Replaces the keyring: the next snapshot is tagged under its current KEK, and if that KEK is
     * new, a compaction starts as soon as it may, after which the previous KEK is no longer in use.
     *
     * @throws StoreException {@code KEY_ERROR} if {@code keyring} lacks a KEK in use, or holds
     *     another key under its id (the files could not be verified after a restart); the keyring
     *     is not replaced then
     */
    public void updateKeyring(Keyring keyring) {
        Objects.requireNonNull(keyring, "keyring");
        synchronized (lock) {
            for (MetadataMac inUse : List.of(keyOnDisk, keyQueued)) {
                MetadataMac offered = MetadataMac.derive(keyring, inUse.kekId(), SubscriptionFormat.PURPOSE)
                        .orElseThrow(() -> new StoreException(StoreException.Kind.KEY_ERROR, "the new keyring "
                                + keyring.ids() + " lacks KEK '" + inUse.kekId() + "', which authenticates the "
                                + "subscription state in " + files.dir() + "; keep it until kekIdsInUse() no longer "
                                + "names it"));
                if (!MessageDigest.isEqual(SubscriptionFormat.keyCheck(offered), SubscriptionFormat.keyCheck(inUse))) {
                    throw new StoreException(StoreException.Kind.KEY_ERROR, "the new keyring holds another key under "
                            + "KEK id '" + inUse.kekId() + "' than the one that authenticates the subscription state in "
                            + files.dir());
                }
            }
            currentKey = MetadataMac.derive(keyring.current(), SubscriptionFormat.PURPOSE);
            maybeCompact();
        }
    }

    /** The per-log view. */
    public Subscriptions forLog(String log) {
        return new Subscriptions(this, log, List::of);
    }

    /**
     * The per-log view of a log with skipped offsets ({@code skipped}: offsets that hold no record
     * and never will): a subscription created below them counts them as acknowledged at once.
     */
    public Subscriptions forLog(String log, java.util.function.Supplier<List<OffsetRange>> skipped) {
        return new Subscriptions(this, log, skipped);
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

    CompletableFuture<Void> seek(String log, String name, long position) {
        if (position < 0) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "a seek position is at least 0, not "
                    + position);
        }
        synchronized (lock) {
            find(log, name).seek(position);
            return record(SEEK, log, name, position, 0);
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
        Entry change = new Entry(SubscriptionFormat.body(type, log, name, a, b));
        if (writer.submit(change)) {
            journalBytesQueued += SubscriptionFormat.entrySize(change.body.length);
            if (journalBytesQueued > compactBytes) {
                maybeCompact();
            }
        }
        return change.future();
    }

    /**
     * Queues a snapshot that starts the next generation if one is due (the journal is past
     * {@code compactBytes}, or the current KEK is not the one in use) and may start: the state file
     * may hold the current generation. Called with the lock held.
     */
    private void maybeCompact() {
        if (journalBytesQueued <= compactBytes && currentKey.kekId().equals(keyQueued.kekId())) {
            return;
        }
        if (oldestRecordable >= 0 && oldestRecordable < generationQueued) {
            if (heldBackReported != generationQueued) {
                heldBackReported = generationQueued;
                LOG.warn("subscription journal in {}: compaction held back until the store's state file records "
                        + "generation {} (it holds generation {}); the journal grows meanwhile", files.dir(),
                        generationQueued, oldestRecordable);
            }
            return;
        }
        long next = generationQueued + 1;
        Snapshot snapshot = new Snapshot(next, SubscriptionFormat.snapshot(next, currentKey, logs), currentKey);
        if (writer.submit(snapshot)) {
            generationQueued = next;
            keyQueued = currentKey;
            journalBytesQueued = 0;
        }
    }

    // ---- the writer thread ----

    /** Writes journal entries, or a snapshot and the entries after it, for each round. */
    private final class JournalCommitter implements Committer<Change> {

        /** Entries in effect in memory whose write failed for a full disk; written first next time. */
        private final List<byte[]> redo = new ArrayList<>();

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
            if (from > 0) {
                redo.clear(); // the snapshot holds them
            }
            entries.clear();
            byte[] mark = chain.mark();
            long marked = chain.entries();
            List<byte[]> bodies = new ArrayList<>(redo);
            for (Change c : batch.subList(from, batch.size())) {
                if (c instanceof Entry e) {
                    bodies.add(e.body);
                }
            }
            for (byte[] body : bodies) {
                int size = SubscriptionFormat.entrySize(body.length);
                if (entries.remaining() < size) {
                    ByteBuffer bigger = ByteBuffer.allocate(Math.max(entries.capacity() * 2, entries.position() + size));
                    entries.flip();
                    entries = bigger.put(entries);
                }
                chain.append(entries, body);
            }
            entries.flip();
            if (!entries.hasRemaining()) {
                return;
            }
            int length = entries.remaining();
            try {
                round.write(journal, files.journal(generation), entries, journalSize);
            } catch (IOException e) {
                if (!DiskSpace.isFull(e)) {
                    throw e;
                }
                // undo the write (the file goes back to its durable end, the chain to its last
                // written entry) and fail only these changes: the next ones may find space
                chain.reset(mark, marked);
                try {
                    journal.truncate(journalSize);
                    journal.force(true);
                } catch (IOException undo) {
                    throw round.fail("truncating after a failed write", files.journal(generation), undo);
                }
                round.forget(journal);
                StoreException full = new StoreException(StoreException.Kind.DISK_FULL, "the disk holding "
                        + files.journal(generation) + " is full; the subscription change was not recorded durably; "
                        + "retry once space is freed", e);
                for (Change c : batch.subList(from, batch.size())) {
                    c.fail(full);
                }
                // the changes are in effect in memory already: they are written with the next
                // round that finds space (or the next snapshot), so the files catch up with memory
                redo.clear();
                redo.addAll(bodies);
                onFailure.accept(full);
                return;
            }
            redo.clear();
            journalSize += length;
            if (entries.capacity() > (4 << 20)) {
                entries = ByteBuffer.allocate(64 * 1024);
            }
        }

        @Override
        public void durable(List<Change> batch, int filesForced) {
            SubscriptionCheckpoint now = durable;
            if (now.generation() != generation || now.entries() != chain.entries()) {
                durable = new SubscriptionCheckpoint(generation, chain.entries());
            }
        }

        @Override
        public StoreException failure(String doing, Path file, Throwable cause) {
            return new StoreException(StoreException.Kind.FAILED, "writing subscription state in " + files.dir()
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
     * Makes {@code snapshot} the state on disk: tags it, writes it atomically, starts its (empty)
     * journal generation chained to its tag, and deletes the previous journal.
     */
    private void compact(Snapshot snapshot) throws IOException {
        byte[] tag = SubscriptionFormat.sign(snapshot.content, snapshot.key);
        StorageChannel next = files.startGeneration(snapshot.generation, snapshot.content);
        StorageChannel old = journal;
        journal = next;
        journalSize = SubscriptionFormat.JOURNAL_HEADER_BYTES;
        generation = snapshot.generation;
        chain = new EntryChain(snapshot.key, tag);
        old.close();
        files.deleteJournalsExcept(generation);
        keyOnDisk = snapshot.key;
    }

    /** The failure that stopped the journal for good (a failed fsync), or null. */
    public StoreException failure() {
        return writer.failure();
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
