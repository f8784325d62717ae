package org.securebroker.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.subscription.SubscriptionCheckpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open store's {@link StoreState}: the copy last written, every change to it (each written
 * durably before it returns), the periodic checkpoint of every log's durable end, and the
 * removals a full disk put off. Also what opening a store needs before there is one: refusing a
 * store whose state file was lost, and the first state file of a store being upgraded.
 *
 * <p>Thread-safety: thread-safe; every read and write of the state holds one lock, so the
 * checkpoint thread and the commit thread's structural changes never interleave.
 */
final class StateFile {

    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    /** The state's mark that an upgrade from an earlier version is unfinished. */
    private static final String UPGRADING = "store.upgrading";

    private final StoreContext ctx;
    private final Object lock = new Object();
    /** As last written; guarded by {@link #lock}. */
    private StoreState state;
    /** Deleted logs the state still lists (its write found the disk full); guarded by {@link #lock}. */
    private final Set<String> pendingForgets = new HashSet<>();
    /** Whether the last checkpoint failed (so a run of failures is logged once); checkpoint thread only. */
    private boolean failing;

    StateFile(StoreContext ctx, StoreState written) {
        this.ctx = ctx;
        this.state = written;
    }

    /**
     * Without a state file, the store must be new or written by an earlier version (whose key
     * files are version 1): a version-2 manifest means the state file was lost.
     */
    static void refuseIfLost(StoreContext ctx) throws IOException {
        try (DirectoryStream<Path> found = Files.newDirectoryStream(ctx.keysDir, "*.dek")) {
            for (Path p : found) {
                byte[] head = new byte[5];
                try (java.io.InputStream in = Files.newInputStream(p)) {
                    if (in.readNBytes(head, 0, 5) == 5 && head[4] >= 2) {
                        throw new StoreException(StoreException.Kind.CORRUPTED_METADATA, "the store state "
                                + ctx.config.directory().resolve(StoreState.FILE_NAME) + " is missing, but the store "
                                + "holds logs written with it (" + p.getFileName() + "); without it a missing or "
                                + "rolled-back log cannot be told from a shorter one: restore it from backup");
                    }
                }
            }
        }
    }

    /**
     * Writes the first state file of a store: every log directory found (by the id its metadata
     * names, checkpoint 0) and the mark that the upgrade is unfinished, so that an open cut short
     * while it upgrades logs one by one can be taken up again.
     */
    static StoreState beginUpgrade(StoreContext ctx, Keyring keyring) throws IOException {
        Map<String, StoreState.LogEntry> found = new TreeMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(ctx.logsDir, Files::isDirectory)) {
            for (Path dir : dirs) {
                try {
                    LogMetadata meta = LogMetadata.read(dir);
                    if (meta.name().equals(AtomicFiles.nameOf(dir))) {
                        found.put(meta.name(), new StoreState.LogEntry(meta.logId(), 0));
                    }
                } catch (IOException | StoreException e) {
                    // left to the log's own recovery, which names the problem
                }
            }
        }
        return StoreState.empty().withLogs(found).withAnchors(Map.of(UPGRADING, 1L)).write(ctx.config.fileLayer(),
                ctx.config.directory(), MetadataMac.derive(keyring.current(), StoreState.PURPOSE));
    }

    /** Whether an upgrade from an earlier version is unfinished (version-1 key files are accepted). */
    static boolean isUpgrading(StoreState state) {
        return state.anchors().containsKey(UPGRADING);
    }

    /** {@code state} without the unfinished-upgrade mark: every log was recovered. */
    static StoreState upgradeFinished(StoreState state) {
        Map<String, Long> anchors = new TreeMap<>(state.anchors());
        anchors.remove(UPGRADING);
        return state.withAnchors(anchors);
    }

    /** What the state says about a log, or null if it does not list it. */
    StoreState.LogEntry entry(String name) {
        synchronized (lock) {
            return state.logs().get(name);
        }
    }

    OptionalLong anchor(String name) {
        synchronized (lock) {
            Long v = state.anchors().get(name);
            return v == null ? OptionalLong.empty() : OptionalLong.of(v);
        }
    }

    void setAnchor(String name, long value) throws IOException {
        update(st -> {
            Map<String, Long> m = new TreeMap<>(st.anchors());
            m.put(name, value);
            return st.withAnchors(m);
        });
    }

    void putLog(String name, StoreState.LogEntry entry) throws IOException {
        update(st -> {
            Map<String, StoreState.LogEntry> m = new TreeMap<>(st.logs());
            m.put(name, entry);
            return st.withLogs(m);
        });
    }

    /**
     * Refuses a name the state still lists: a log is never created again with offsets it handed
     * out before.
     */
    void refuseRecreating(String name) {
        synchronized (lock) {
            if (pendingForgets.contains(name)) {
                throw new StoreException(StoreException.Kind.DISK_FULL, "log '" + name + "' was deleted while the "
                        + "disk was full and the store state does not record that yet; retry once space is freed");
            }
            if (state.logs().containsKey(name)) {
                throw new StoreException(StoreException.Kind.LOG_UNAVAILABLE, "log '" + name + "' is in the store "
                        + "state but its files are gone; it is not created again with offsets it handed out before");
            }
        }
    }

    /**
     * Removes a deleted log. On a full disk this is put off (false): the log's trash directory
     * stays, and the next checkpoint (or open) finishes it.
     */
    boolean forgetLog(String name) throws IOException {
        try {
            update(st -> withoutLog(st, name));
            return true;
        } catch (IOException e) {
            if (!CommitLoop.isDiskFull(e)) {
                throw e;
            }
            synchronized (lock) {
                pendingForgets.add(name);
            }
            LOG.warn("log '{}' is deleted and its keys destroyed; the store state forgets it once the disk has space",
                    name);
            return false;
        }
    }

    private static StoreState withoutLog(StoreState st, String name) {
        Map<String, StoreState.LogEntry> m = new TreeMap<>(st.logs());
        m.remove(name);
        return st.withLogs(m);
    }

    /** Changes the state and writes it, durably, before returning. */
    void update(UnaryOperator<StoreState> change) throws IOException {
        synchronized (lock) {
            state = write(change.apply(state));
        }
    }

    private StoreState write(StoreState next) throws IOException {
        return next.write(ctx.config.fileLayer(), ctx.config.directory(),
                MetadataMac.derive(ctx.keyring().current(), StoreState.PURPOSE));
    }

    /**
     * Records every log's durable end (and the subscription state's) if any moved, and the
     * removals put off: the checkpoint a later open holds the files to. Runs every
     * {@link StoreConfig#checkpointInterval()} and on close.
     */
    void checkpoint(Map<String, Log> logs) throws IOException {
        synchronized (lock) {
            Map<String, StoreState.LogEntry> m = new TreeMap<>(state.logs());
            boolean changed = !pendingForgets.isEmpty();
            Set<String> forgotten = new HashSet<>(pendingForgets);
            Set<String> trashed = new HashSet<>();
            for (String name : forgotten) {
                StoreState.LogEntry e = m.remove(name);
                if (e != null) {
                    trashed.add(e.idHex());
                }
            }
            for (Map.Entry<String, StoreState.LogEntry> e : state.logs().entrySet()) {
                Log l = logs.get(e.getKey());
                if (l == null || l.isDeleted()) {
                    continue;
                }
                long end = l.recordedEnd();
                if (end > e.getValue().checkpoint()) {
                    m.put(e.getKey(), new StoreState.LogEntry(e.getValue().logId(), end));
                    changed = true;
                }
            }
            SubscriptionCheckpoint subs = ctx.subscriptionStore.durableCheckpoint();
            if (subs.generation() != state.subscriptionGeneration() || subs.entries() != state.subscriptionEntries()) {
                changed = true;
            }
            if (changed) {
                state = write(state.withLogs(m).withSubscriptions(subs.generation(), subs.entries()));
                ctx.subscriptionStore.checkpointRecorded(subs);
                pendingForgets.removeAll(forgotten);
                for (String hex : trashed) {
                    Store.deleteTree(ctx.trashDir.resolve(hex));
                }
            }
        }
    }

    /** {@link #checkpoint} from the checkpoint thread: a run of failures is logged once. */
    void checkpointQuietly(Map<String, Log> logs) {
        try {
            checkpoint(logs);
            if (failing) {
                failing = false;
                LOG.info("the store state checkpoint is written again");
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("writing the store state checkpoint failed ({}); retrying every {} ms", e.getMessage(),
                        ctx.config.checkpointInterval().toMillis());
            }
        }
    }
}
