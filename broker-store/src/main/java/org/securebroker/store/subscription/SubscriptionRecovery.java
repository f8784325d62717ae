package org.securebroker.store.subscription;

import static org.securebroker.store.subscription.SubscriptionFormat.ACK;
import static org.securebroker.store.subscription.SubscriptionFormat.CREATE;
import static org.securebroker.store.subscription.SubscriptionFormat.DELETE;
import static org.securebroker.store.subscription.SubscriptionFormat.DELETE_LOG;
import static org.securebroker.store.subscription.SubscriptionFormat.SEEK;
import static org.securebroker.store.subscription.SubscriptionFormat.JOURNAL_HEADER_BYTES;
import static org.securebroker.store.subscription.SubscriptionFormat.PURPOSE;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.PrivateDirectories;
import org.securebroker.store.io.Closeables;
import org.securebroker.store.io.StorageChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the subscription state on disk and checks it against the checkpoint the store's state
 * file recorded ({@code expected}). With a checkpoint {@code (G, N)}:
 * <ul>
 *   <li>the snapshot must exist, be version 2 and pass its tag; its generation must be {@code G},
 *       or {@code G + 1} (a compaction that completed just before a crash, before the state file
 *       caught up); anything else is a rollback or another store's file;
 *   <li>journals of older generations are leftovers of a compaction and are deleted; a newer one
 *       is refused;
 *   <li>if the snapshot is generation {@code G}, its journal must exist (when {@code N > 0}) and
 *       hold at least {@code N} authentic entries in chain order; what follows them may be a torn
 *       tail, which is truncated (see {@link JournalReplay}).
 * </ul>
 * Every refusal is a {@code CORRUPTED_METADATA} {@link StoreException} naming the file, what is
 * wrong and the fix; nothing falls back to empty state. A KEK the files name but the keyring
 * lacks is a {@code KEY_ERROR}.
 *
 * <p>Without a checkpoint (a new store, or one written by a version without the state file), the
 * files are verified the same way but not compared; version-1 files, or none at all, are accepted
 * and rewritten at once as a version-2 snapshot of the next generation under the keyring's
 * current KEK, with an empty journal.
 *
 * <p>Thread-safety: used by the thread that opens the store only.
 */
final class SubscriptionRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionRecovery.class);
    private static final int MAX_SNAPSHOT_BYTES = Integer.MAX_VALUE - 16;
    private static final String FIX = "; restore the subscriptions/ directory from backup";

    /**
     * What open found: the state, and the journal of generation {@code generation} to append to,
     * {@code journalSize} bytes long, tagged under {@code key}, whose chain {@code chain} has
     * passed its entries.
     */
    record Recovered(Map<String, Map<String, AckSet>> logs, long generation, MetadataMac key, EntryChain chain,
                     StorageChannel journal, long journalSize, long truncatedBytes) {
    }

    private SubscriptionRecovery() {
    }

    /** The refusal of a subscription file: it names the file, what is wrong, and the fix. */
    static StoreException refusal(Path file, String what) {
        return new StoreException(StoreException.Kind.CORRUPTED_METADATA, "subscription state file " + file + " "
                + what + FIX);
    }

    /**
     * Recovers the state in {@code files}, as the class comment says.
     *
     * @param expected the checkpoint the store's state file recorded, or null if it has none
     */
    static Recovered recover(SubscriptionFiles files, Keyring keyring, SubscriptionCheckpoint expected)
            throws IOException {
        PrivateDirectories.create(files.dir());
        files.deleteTemporaries();
        SortedMap<Long, Path> journals = files.journals();
        Path snapshotFile = files.snapshot();
        Map<String, Map<String, AckSet>> logs = new HashMap<>();
        if (!Files.exists(snapshotFile)) {
            if (expected != null) {
                throw refusal(snapshotFile, "is missing, but the store's state file records generation "
                        + expected.generation() + ": it was deleted or lost");
            }
            refuseVersion2Journals(files, journals, snapshotFile, "is missing");
            return migrate(files, keyring, logs, 0, journals.get(0L), false);
        }
        byte[] bytes = AtomicFiles.read(snapshotFile, MAX_SNAPSHOT_BYTES);
        int version = SubscriptionFormat.version(bytes);
        if (version == 1) {
            if (expected != null) {
                throw refusal(snapshotFile, "is in format version 1, which has no authentication tag, but the store's "
                        + "state file records a version 2 checkpoint: it was replaced by an old copy");
            }
            refuseVersion2Journals(files, journals, snapshotFile, "is in format version 1");
            long generation = SubscriptionFormatV1.readSnapshot(snapshotFile, bytes, logs);
            return migrate(files, keyring, logs, generation, journals.get(generation), true);
        }
        if (version != SubscriptionFormat.VERSION) {
            throw refusal(snapshotFile, version < 0 ? "is not a subscription snapshot (its magic is wrong)"
                    : "has unknown format version " + version);
        }
        SubscriptionFormat.SnapshotInfo snapshot = SubscriptionFormat.readSnapshot(snapshotFile, bytes,
                kekId -> key(keyring, kekId, snapshotFile), logs);
        return recoverVersion2(files, logs, snapshotFile, snapshot, journals, expected);
    }

    private static Recovered recoverVersion2(SubscriptionFiles files, Map<String, Map<String, AckSet>> logs,
                                             Path snapshotFile, SubscriptionFormat.SnapshotInfo snapshot,
                                             SortedMap<Long, Path> journals, SubscriptionCheckpoint expected)
            throws IOException {
        long generation = snapshot.generation();
        if (expected != null && generation < expected.generation()) {
            throw refusal(snapshotFile, "is generation " + generation + ", older than generation "
                    + expected.generation() + " that the store's state file records: it was rolled back");
        }
        if (expected != null && generation > expected.generation() + 1) {
            throw refusal(snapshotFile, "is generation " + generation + ", but the store's state file records generation "
                    + expected.generation() + " and no compaction goes further than one generation ahead of it: the "
                    + "file is not this store's, or the state file was rolled back");
        }
        if (expected == null) {
            LOG.info("subscription state in {} opened without a checkpoint to compare it with: its authenticity is "
                    + "checked, but a rollback to an older authentic copy would not be detected", files.dir());
        }
        for (Map.Entry<Long, Path> journal : journals.entrySet()) {
            if (journal.getKey() > generation) {
                throw refusal(journal.getValue(), "is newer than the snapshot " + snapshotFile + " (generation "
                        + generation + "): the snapshot was rolled back");
            }
        }
        long required = expected != null && expected.generation() == generation ? expected.entries() : 0;
        Path journalFile = files.journal(generation);
        EntryChain chain = snapshot.chain();
        if (!journals.containsKey(generation)) {
            if (required > 0) {
                throw refusal(journalFile, "is missing, but the store's state file records " + required
                        + " durable entries in it: it was deleted or lost");
            }
            StorageChannel journal = files.createJournal(generation);
            files.deleteJournalsExcept(generation);
            return new Recovered(logs, generation, snapshot.key(), chain, journal, JOURNAL_HEADER_BYTES, 0);
        }
        StorageChannel journal = files.layer().open(journalFile, false);
        try {
            SubscriptionFormat.checkJournalHeader(journal, journalFile, generation);
            JournalReplay.Result replayed = JournalReplay.replay(journal, journalFile, chain, required, applyTo(logs));
            if (replayed.tornBytes() > 0) {
                LOG.warn("subscription journal {}: truncated {} damaged or incomplete bytes after its {} authentic "
                        + "entries, a torn tail; acknowledgements in them were not durable and their messages will be "
                        + "delivered again", journalFile, replayed.tornBytes(), replayed.entries());
                journal.truncate(replayed.validEnd());
            }
            // what was read may have been in the page cache only (the process died, not the machine):
            // make it durable before it is reported as such
            journal.force(true);
            files.deleteJournalsExcept(generation);
            files.layer().syncDirectory(files.dir());
            return new Recovered(logs, generation, snapshot.key(), chain, journal, replayed.validEnd(),
                    replayed.tornBytes());
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(journal);
            throw e;
        }
    }

    /**
     * Refuses version-1 state (or none) beside a version-2 journal, which only ever follows a
     * version-2 snapshot: that snapshot was deleted or replaced.
     */
    private static void refuseVersion2Journals(SubscriptionFiles files, SortedMap<Long, Path> journals,
                                               Path snapshotFile, String snapshotState) throws IOException {
        for (Path journal : journals.values()) {
            try (StorageChannel channel = files.layer().openReadOnly(journal)) {
                if (SubscriptionFormat.hasJournalMagic(channel)) {
                    throw refusal(snapshotFile, snapshotState + ", but " + journal + " is a version 2 journal, which "
                            + "only ever follows a version 2 snapshot: the snapshot was deleted or replaced");
                }
            }
        }
    }

    /**
     * Rewrites version-1 state (a snapshot of {@code generation} read into {@code logs}, if any,
     * and its journal, if any), or no state at all, as a version-2 generation {@code generation + 1}.
     */
    private static Recovered migrate(SubscriptionFiles files, Keyring keyring, Map<String, Map<String, AckSet>> logs,
                                     long generation, Path journalV1, boolean hadSnapshot) throws IOException {
        long truncated = 0;
        if (journalV1 != null) {
            try (StorageChannel channel = files.layer().openReadOnly(journalV1)) {
                SubscriptionFormat.Replay apply = applyTo(logs);
                // version 1 had no SEEK: an entry of a later type is no entry of that journal
                truncated = channel.size() - SubscriptionFormatV1.replay(channel, (type, log, name, a, b) -> {
                    if (type > DELETE_LOG) {
                        throw new IllegalArgumentException("entry type " + type + " is not of version 1");
                    }
                    apply.apply(type, log, name, a, b);
                });
            }
            if (truncated > 0) {
                LOG.warn("subscription journal {} (format version 1): ignored {} damaged or incomplete bytes at its end; "
                        + "acknowledgements in them were not durable and their messages will be delivered again",
                        journalV1, truncated);
            }
        }
        long next = generation + 1;
        MetadataMac key = MetadataMac.derive(keyring.current(), PURPOSE);
        byte[] snapshot = SubscriptionFormat.snapshot(next, key, logs);
        byte[] tag = SubscriptionFormat.sign(snapshot, key);
        StorageChannel journal = files.startGeneration(next, snapshot);
        try {
            files.deleteJournalsExcept(next);
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(journal);
            throw e;
        }
        if (hadSnapshot || journalV1 != null) {
            LOG.info("subscription state in {} migrated from format version 1 to version 2 (generation {}, {} log(s), "
                    + "authenticated under KEK '{}')", files.dir(), next, logs.size(), key.kekId());
        }
        return new Recovered(logs, next, key, new EntryChain(key, tag), journal, JOURNAL_HEADER_BYTES, truncated);
    }

    private static MetadataMac key(Keyring keyring, String kekId, Path file) {
        return MetadataMac.derive(keyring, kekId, PURPOSE).orElseThrow(() -> new StoreException(
                StoreException.Kind.KEY_ERROR, "subscription state file " + file + " is authenticated with KEK '" + kekId
                + "', which is not in the keyring " + keyring.ids() + "; add it to the key file (a retired KEK stays "
                + "there until no file uses it)"));
    }

    /** Applies journal entries to {@code logs}. */
    static SubscriptionFormat.Replay applyTo(Map<String, Map<String, AckSet>> logs) {
        return (type, log, name, a, b) -> apply(logs, type, log, name, a, b);
    }

    private static void apply(Map<String, Map<String, AckSet>> logs, byte type, String log, String name, long a,
                              long b) {
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
            case SEEK -> {
                if (a < 0) {
                    throw new IllegalArgumentException("a seek to offset " + a);
                }
                Map<String, AckSet> subs = logs.get(log);
                AckSet set = subs == null ? null : subs.get(name);
                if (set != null) {
                    set.seek(a);
                }
            }
            default -> throw new IllegalArgumentException("unknown entry type " + type);
        }
    }
}
