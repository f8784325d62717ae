package org.securebroker.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.Closeables;
import org.securebroker.store.io.PrivateDirectories;
import org.securebroker.store.subscription.SubscriptionCheckpoint;
import org.securebroker.store.subscription.SubscriptionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An encrypted, append-only store of named logs plus durable subscription state.
 *
 * <p>Promises: an append is acknowledged only after its bytes were fdatasynced (and the directory
 * entry of a new segment fsynced); a failed fsync puts the store in a failed state in which it
 * refuses writes until restarted; records are AES-256-GCM encrypted under per-segment data keys
 * wrapped by the keyring's KEK; on open, a torn tail is truncated and damaged records are
 * quarantined and reported in {@link #recoveryReport()}, never served.
 *
 * <p>Layout of the data directory:
 * <pre>
 * store.lock                    held while the store is open
 * logs/NAME/log.meta            log id, name, start offset
 * logs/NAME/OFFSET.seg          segments, named by base offset (20 digits)
 * keys/LOGID.dek                the log's wrapped data keys (back up apart from logs/)
 * subscriptions/                snapshot and journal of subscription state
 * trash/                        logs being deleted
 * </pre>
 *
 * <p>Thread-safety: thread-safe.
 */
public final class Store implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    private static final Pattern LOG_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    /** What {@link #isValidLogName} accepts, as an error message says it. */
    public static final String LOG_NAME_RULE = "1-200 characters of letters, digits, '.', '_' or '-', starting with a "
            + "letter or digit";

    private final StoreContext ctx;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, Log> logs = new ConcurrentHashMap<>();
    private final Map<String, StoreException> unavailable = new ConcurrentHashMap<>();
    private final ScheduledExecutorService checkpointer;
    private final StateFile state;
    private final RecoveryReport recoveryReport;
    private final ScheduledExecutorService retention;
    private volatile boolean closed;

    private Store(StoreContext ctx, FileChannel lockChannel, FileLock lock, List<Log> recovered,
                  RecoveryReport report, Map<String, StoreException> unavailableLogs, StoreState state) {
        this.ctx = ctx;
        this.lockChannel = lockChannel;
        this.lock = lock;
        recovered.forEach(l -> logs.put(l.name(), l));
        this.unavailable.putAll(unavailableLogs);
        this.state = new StateFile(ctx, state);
        this.recoveryReport = report;
        ctx.commitLoop.start();
        this.checkpointer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "store-checkpoint");
            t.setDaemon(true);
            return t;
        });
        long every = ctx.config.checkpointInterval().toMillis();
        checkpointer.scheduleWithFixedDelay(() -> this.state.checkpointQuietly(logs), every, every, TimeUnit.MILLISECONDS);
        if (ctx.config.retention().isUnlimited()) {
            this.retention = null;
        } else {
            this.retention = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "store-retention");
                t.setDaemon(true);
                return t;
            });
            long period = ctx.config.retentionCheckInterval().toMillis();
            retention.scheduleWithFixedDelay(this::applyRetention, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Opens (creating if needed) and recovers the store in {@code config.directory()}.
     *
     * @throws StoreException {@code UNAVAILABLE} if another process holds the store,
     *     {@code KEY_ERROR} if a data key is wrapped by a KEK missing from the keyring or does not
     *     unwrap, {@code CORRUPTED_METADATA} if a metadata file is damaged (the message names it)
     */
    public static Store open(StoreConfig config, Keyring keyring) {
        long started = System.nanoTime();
        Path root = config.directory();
        FileChannel lockChannel = null;
        StoreContext ctx = new StoreContext(config, keyring);
        try {
            PrivateDirectories.create(root);
            for (Path p : List.of(ctx.logsDir, ctx.keysDir, ctx.trashDir)) {
                PrivateDirectories.create(p);
            }
            lockChannel = FileChannel.open(root.resolve("store.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new StoreException(StoreException.Kind.UNAVAILABLE, "the store in " + root
                        + " is open in another process (or twice in this one)");
            }
            StoreState state = StoreState.exists(root) ? StoreState.read(root, keyring) : null;
            if (state == null) {
                StateFile.refuseIfLost(ctx);
                // a new store, or one written by an earlier version: the state file is written
                // before any log is upgraded, marked unfinished until every log is
                state = StateFile.beginUpgrade(ctx, keyring);
            }
            ctx.upgrading = StateFile.isUpgrading(state);
            SubscriptionCheckpoint expectedSubscriptions = state.subscriptionGeneration() < 0 ? null
                    : new SubscriptionCheckpoint(state.subscriptionGeneration(), state.subscriptionEntries());
            ctx.subscriptionStore = SubscriptionStore.open(root.resolve("subscriptions"), config.fileLayer(),
                    config.subscriptionSyncInterval(), config.subscriptionCompactBytes(), failure -> {
                        if (failure.kind() == StoreException.Kind.DISK_FULL) {
                            ctx.commitLoop.diskFullElsewhere(failure);
                        } else {
                            config.listener().onFailure(failure);
                        }
                    }, keyring, expectedSubscriptions);
            ctx.commitLoop = new CommitLoop(ctx);
            Set<String> shredded = finishDeletes(ctx);
            List<Log> recovered = new ArrayList<>();
            List<RecoveryReport.LogReport> reports = new ArrayList<>();
            Map<String, StoreException> unavailable = new TreeMap<>();
            Map<String, StoreState.LogEntry> entries = new TreeMap<>();
            TreeMap<String, Path> dirs = new TreeMap<>();
            try (DirectoryStream<Path> found = Files.newDirectoryStream(ctx.logsDir, Files::isDirectory)) {
                found.forEach(p -> dirs.put(AtomicFiles.nameOf(p), p));
            }
            Set<String> names = new java.util.TreeSet<>(dirs.keySet());
            {
                state.logs().forEach((name, e) -> {
                    if (!shredded.contains(e.idHex())) {
                        names.add(name);
                        entries.put(name, e);
                    }
                });
            }
            try {
                for (String name : names) {
                    StoreState.LogEntry expected = entries.get(name);
                    try {
                        LogRecovery.Result r = LogRecovery.recover(ctx, name, expected, false);
                        if (r != null) {
                            recovered.add(r.log());
                            reports.add(r.report());
                            long checkpoint = Math.max(expected == null ? 0 : expected.checkpoint(), r.log().recordedEnd());
                            entries.put(name, new StoreState.LogEntry(r.log().logIdForKeys(), checkpoint));
                        } else {
                            entries.remove(name);
                        }
                    } catch (StoreException e) {
                        if (e.kind() != StoreException.Kind.LOG_UNAVAILABLE) {
                            throw e;
                        }
                        LOG.error("{}", e.getMessage());
                        unavailable.put(name, e);
                    } catch (IOException e) {
                        // one log's unreadable file does not take the others down
                        StoreException u = new StoreException(StoreException.Kind.LOG_UNAVAILABLE, "log '" + name
                                + "' is unavailable: reading its files failed: " + e, e);
                        LOG.error("{}", u.getMessage());
                        unavailable.put(name, u);
                    }
                }
                removeOrphanKeyFiles(ctx, recovered, entries, unavailable.keySet());
                Set<String> kept = new HashSet<>(unavailable.keySet());
                recovered.forEach(l -> kept.add(l.name()));
                for (String name : ctx.subscriptionStore.logNames()) {
                    if (!kept.contains(name)) {
                        ctx.subscriptionStore.deleteLog(name).join();
                    }
                }
                SubscriptionCheckpoint subs = ctx.subscriptionStore.durableCheckpoint();
                state = StateFile.upgradeFinished(state).withLogs(entries).withSubscriptions(subs.generation(), subs.entries())
                        .write(config.fileLayer(), root, MetadataMac.derive(keyring.current(), StoreState.PURPOSE));
                ctx.subscriptionStore.checkpointRecorded(subs);
                for (String hex : shredded) {
                    deleteTree(ctx.trashDir.resolve(hex));
                }
                if (!shredded.isEmpty()) {
                    config.fileLayer().syncDirectory(ctx.trashDir);
                }
                for (Log l : recovered) {
                    l.settleSkipped();
                }
            } catch (IOException | RuntimeException e) {
                for (Log l : recovered) {
                    l.close(false);
                }
                throw e;
            }
            RecoveryReport report = new RecoveryReport(reports, ctx.subscriptionStore.truncatedBytes(),
                    (System.nanoTime() - started) / 1_000_000);
            LOG.info("store {} opened: {} log(s) recovered in {} ms{}{}", root, recovered.size(), report.elapsedMillis(),
                    report.isClean() ? "" : " (see the recovery report: torn tails or quarantined records)",
                    unavailable.isEmpty() ? "" : "; " + unavailable.size() + " log(s) unavailable: " + unavailable.keySet());
            return new Store(ctx, lockChannel, lock, recovered, report, unavailable, state);
        } catch (IOException e) {
            cleanupFailedOpen(ctx, lockChannel);
            throw new StoreException(StoreException.Kind.UNAVAILABLE, "cannot open the store in " + root + ": " + e, e);
        } catch (RuntimeException e) {
            cleanupFailedOpen(ctx, lockChannel);
            throw e;
        }
    }

    /** Closes what a failed open had opened; the open failure is what gets reported. */
    private static void cleanupFailedOpen(StoreContext ctx, FileChannel lockChannel) {
        Closeables.closeQuietly(ctx.subscriptionStore);
        Closeables.closeQuietly(lockChannel);
    }

    /**
     * Completes deletions a crash interrupted: the key file goes first, then the segments.
     *
     * @return the ids (hex) of the logs whose deletion was finished
     */
    private static Set<String> finishDeletes(StoreContext ctx) throws IOException {
        Set<String> done = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(ctx.trashDir)) {
            for (Path p : entries) {
                String hex = AtomicFiles.nameOf(p);
                Path keyFile = ctx.keysDir.resolve(hex + ".dek");
                if (Files.deleteIfExists(keyFile)) {
                    ctx.config.fileLayer().syncDirectory(ctx.keysDir);
                }
                // the files go now; the directory stays until the store state has forgotten the log
                try (DirectoryStream<Path> inside = Files.newDirectoryStream(p)) {
                    for (Path f : inside) {
                        deleteTree(f);
                    }
                }
                done.add(hex);
                LOG.info("finished deleting log {} left in the trash by an interrupted deletion", hex);
            }
        }
        ctx.config.fileLayer().syncDirectory(ctx.trashDir);
        return done;
    }

    /**
     * Removes key files that belong to no log: left by a creation cut short. The manifests of
     * unavailable logs, and of every log the store state lists, are kept.
     */
    private static void removeOrphanKeyFiles(StoreContext ctx, List<Log> logs, Map<String, StoreState.LogEntry> listed,
                                             Set<String> unavailableNames) throws IOException {
        Set<String> expected = new HashSet<>();
        for (Log l : logs) {
            expected.add(AtomicFiles.nameOf(Log.keyFile(ctx, l.logIdForKeys())));
        }
        listed.values().forEach(e -> expected.add(e.idHex() + ".dek"));
        for (String name : unavailableNames) {
            try {
                expected.add(AtomicFiles.nameOf(Log.keyFile(ctx, LogMetadata.read(ctx.logsDir.resolve(name)).logId())));
            } catch (IOException | StoreException e) {
                // its metadata is unreadable: keep every key file that might be its
                return;
            }
        }
        boolean removed = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(ctx.keysDir)) {
            for (Path p : entries) {
                String name = AtomicFiles.nameOf(p);
                if ((name.endsWith(".dek") && !expected.contains(name)) || name.endsWith(".tmp")) {
                    Files.delete(p);
                    removed = true;
                }
            }
        }
        if (removed) {
            ctx.config.fileLayer().syncDirectory(ctx.keysDir);
        }
    }

    /** What recovery found when the store was opened. */
    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    /**
     * Creates a log. Names are 1-200 characters of letters, digits, '.', '_' and '-', starting with
     * a letter or digit.
     *
     * @throws StoreException {@code LOG_EXISTS}, {@code INVALID_ARGUMENT}
     */
    public Log createLog(String name) {
        checkOpen();
        validateLogName(name);
        return ctx.commitLoop.runTask(() -> {
            if (logs.containsKey(name)) {
                throw new StoreException(StoreException.Kind.LOG_EXISTS, "log '" + name + "' exists already");
            }
            StoreException broken = unavailable.get(name);
            if (broken != null) {
                throw broken;
            }
            state.refuseRecreating(name);
            Path dir = ctx.logsDir.resolve(name);
            byte[] logId = new byte[16];
            ctx.config.random().nextBytes(logId);
            LogMetadata meta = new LogMetadata(name, logId, ctx.config.clock().millis(), 0);
            LogManifest manifest;
            try {
                PrivateDirectories.createNew(dir);
                meta.write(ctx.config.fileLayer(), dir);
                manifest = LogManifest.empty(logId, name, 0).write(ctx.config.fileLayer(), Log.keyFile(ctx, logId),
                        MetadataMac.derive(ctx.keyring().current(), LogManifest.PURPOSE));
                ctx.config.fileLayer().syncDirectory(ctx.logsDir);
                state.putLog(name, new StoreState.LogEntry(logId, 0));
            } catch (IOException e) {
                // nothing of a creation that failed stays behind, so it can be tried again
                Files.deleteIfExists(Log.keyFile(ctx, logId));
                deleteTree(dir);
                ctx.config.fileLayer().syncDirectory(ctx.logsDir);
                if (CommitLoop.isDiskFull(e)) {
                    throw new StoreException(StoreException.Kind.DISK_FULL, "creating log '" + name + "' failed: the "
                            + "disk is full; nothing was created; retry once space is freed", e);
                }
                throw e;
            }
            forgetSubscriptions(name);
            Log log = new Log(ctx, meta, dir, List.of(), manifest, 0);
            logs.put(name, log);
            return log;
        });
    }

    /**
     * Whether {@code name} may name a log: {@value #LOG_NAME_RULE}. A log's name is its
     * directory's name, so the rule keeps out path separators, dot-only names, wildcards,
     * control characters and anything a file system or a terminal would read differently.
     */
    public static boolean isValidLogName(String name) {
        return name != null && LOG_NAME.matcher(name).matches();
    }

    /**
     * Checks a log name, throwing {@code INVALID_ARGUMENT} with what is allowed. The name is
     * quoted only when it is short printable ASCII: an invalid name may be anything.
     */
    public static void validateLogName(String name) {
        if (!isValidLogName(name)) {
            boolean printable = name != null && name.length() <= 200 && name.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "invalid log name"
                    + (printable ? " '" + name + "'" : name == null ? "" : " (" + name.length() + " characters)")
                    + ": use " + LOG_NAME_RULE);
        }
    }

    public Optional<Log> log(String name) {
        return Optional.ofNullable(logs.get(name));
    }

    /** @throws StoreException {@code LOG_NOT_FOUND} */
    public Log requireLog(String name) {
        Log log = logs.get(name);
        if (log == null) {
            StoreException broken = unavailable.get(name);
            if (broken != null) {
                throw new StoreException(StoreException.Kind.LOG_UNAVAILABLE, broken.getMessage());
            }
            throw new StoreException(StoreException.Kind.LOG_NOT_FOUND, "log '" + name + "' does not exist");
        }
        return log;
    }

    public List<String> logNames() {
        return List.copyOf(new TreeMap<>(logs).keySet());
    }

    /**
     * Deletes a log and shreds it: its subscription state is forgotten, its data keys are
     * deleted durably (after which no copy of its segments can be decrypted), then its files.
     * Appends still queued for it fail with {@code LOG_NOT_FOUND}.
     *
     * @throws StoreException {@code LOG_NOT_FOUND}
     */
    public void deleteLog(String name) {
        checkOpen();
        Log log = logs.get(name);
        if (log == null && unavailable.containsKey(name)) {
            deleteUnavailable(name);
            return;
        }
        log = requireLog(name);
        forgetSubscriptions(name);
        Log deleting = log;
        ctx.commitLoop.runTask(() -> {
            if (logs.remove(name, deleting)) {
                deleting.delete(() -> state.forgetLog(name));
            }
            return null;
        });
        LOG.info("log '{}' deleted and its data keys destroyed", name);
    }

    /** Deletes what is left of an unavailable log: its directory, its manifest, its state entry. */
    private void deleteUnavailable(String name) {
        forgetSubscriptions(name);
        ctx.commitLoop.runTask(() -> {
            if (unavailable.remove(name) == null) {
                return null;
            }
            Path dir = ctx.logsDir.resolve(name);
            byte[] id = null;
            StoreState.LogEntry listed = state.entry(name);
            if (listed != null) {
                id = listed.logId();
            }
            if (id == null && Files.exists(dir.resolve(LogMetadata.FILE_NAME))) {
                try {
                    id = LogMetadata.read(dir).logId();
                } catch (StoreException e) {
                    id = null;
                }
            }
            Path trash = ctx.trashDir.resolve(id != null ? hex(id) : "unavailable-" + name);
            if (Files.exists(dir)) {
                Files.move(dir, trash, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                ctx.config.fileLayer().syncDirectory(ctx.logsDir);
                ctx.config.fileLayer().syncDirectory(ctx.trashDir);
            }
            if (id != null) {
                AtomicFiles.deleteDurably(ctx.config.fileLayer(), Log.keyFile(ctx, id));
            }
            if (state.forgetLog(name)) {
                deleteTree(trash);
                ctx.config.fileLayer().syncDirectory(ctx.trashDir);
            }
            return null;
        });
        LOG.info("unavailable log '{}' deleted and its data keys destroyed", name);
    }

    /**
     * Forgets a log's subscriptions before the log goes. On a full disk the change is in effect
     * already and is written once space is back, so a deletion (which frees space) goes on.
     */
    private void forgetSubscriptions(String name) {
        try {
            ctx.subscriptionStore.deleteLog(name).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (!(e.getCause() instanceof StoreException se) || se.kind() != StoreException.Kind.DISK_FULL) {
                throw e.getCause() instanceof StoreException se2 ? se2 : e;
            }
        }
    }

    /**
     * Records every log's durable end (and the subscription state's) in the store state, if any
     * moved (see {@link StateFile#checkpoint}).
     */
    void checkpoint() throws IOException {
        state.checkpoint(logs);
    }

    /**
     * Replaces the keyring, for instance after a new KEK was added to the key file. Every KEK
     * that still wraps a data key must be in the new keyring.
     *
     * @throws StoreException {@code KEY_ERROR} naming the missing KEK ids
     */
    public void updateKeyring(Keyring keyring) {
        checkOpen();
        ctx.commitLoop.runTask(() -> {
            Set<String> missing = new HashSet<>(kekIdsInUseOnCommitThread());
            missing.removeAll(keyring.ids());
            if (!missing.isEmpty()) {
                throw new StoreException(StoreException.Kind.KEY_ERROR, "the new keyring lacks KEK(s) " + missing
                        + " that still wrap data keys; keep them until 'rewrap' has moved every data key");
            }
            ctx.subscriptionStore.updateKeyring(keyring);
            ctx.keyring(keyring);
            return null;
        });
    }

    /** The ids of the KEKs that wrap at least one data key. */
    public Set<String> kekIdsInUse() {
        return ctx.commitLoop.runTask(this::kekIdsInUseOnCommitThread);
    }

    private Set<String> kekIdsInUseOnCommitThread() {
        Set<String> ids = new HashSet<>();
        ids.addAll(ctx.subscriptionStore.kekIdsInUse());
        String stateKek = StoreState.kekIdOf(ctx.config.directory());
        if (stateKek != null) {
            ids.add(stateKek);
        }
        for (Log l : logs.values()) {
            ids.addAll(l.kekIdsInUse());
        }
        return ids;
    }

    /**
     * Rewraps every data key that an older KEK wraps with the current KEK, one log at a time
     * (appends continue between logs). Only key files are rewritten, never segments.
     *
     * @param progress called after each log with (logs done, logs in all)
     * @return the number of data keys rewrapped
     */
    public int rewrapDataKeys(BiConsumer<Integer, Integer> progress) {
        checkOpen();
        List<Log> all = new ArrayList<>(logs.values());
        int moved = 0;
        int done = 0;
        for (Log l : all) {
            moved += ctx.commitLoop.runTask(l::rewrap);
            progress.accept(++done, all.size());
        }
        try {
            state.update(st -> st);
            // the subscription state moves to the current KEK with its next snapshot, which the
            // keyring change queued; wait for it (bounded) so the old KEK can be retired at once
            String current = ctx.keyring().current().id();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!ctx.subscriptionStore.kekIdsInUse().equals(Set.of(current)) && System.nanoTime() < deadline) {
                checkpoint();
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO_ERROR, "rewriting the store state under the current KEK "
                    + "failed: " + e.getMessage(), e);
        }
        LOG.info("rewrapped {} data key(s) under KEK '{}'", moved, ctx.keyring().current().id());
        return moved;
    }

    /** Applies the configured retention policy to every log now. */
    public void applyRetention() {
        if (closed) {
            return;
        }
        for (Log l : logs.values()) {
            try {
                ctx.commitLoop.runTask(() -> {
                    l.applyRetention(ctx.config.retention());
                    return null;
                });
            } catch (StoreException e) {
                LOG.warn("retention of log '{}' failed: {}", l.name(), e.getMessage());
            }
        }
    }

    /**
     * The logs that exist but could not be opened because their files do not add up, with the
     * error that names the file and the offsets concerned. Such a log is not in
     * {@link #logNames()}; {@link #requireLog} and {@link #createLog} refuse its name with
     * {@code LOG_UNAVAILABLE} until {@link #repairLog} accepts the loss or it is deleted.
     */
    public Map<String, StoreException> unavailableLogs() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(unavailable));
    }

    /**
     * Accepts the loss that made a log unavailable (an operator's decision, which the caller
     * audits): what is lost is recorded in the log's manifest for good, the log continues above
     * every offset it ever handed out, and it becomes available again.
     *
     * @throws StoreException {@code INVALID_ARGUMENT} if the log is not unavailable,
     *     {@code LOG_UNAVAILABLE} if it cannot be repaired (the message says why and what to do)
     */
    public RepairReport repairLog(String name) {
        checkOpen();
        StoreException problem = unavailable.get(name);
        if (problem == null) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "log '" + name + "' is not unavailable; "
                    + "there is nothing to repair");
        }
        RepairReport report = ctx.commitLoop.runTask(() -> {
            StoreState.LogEntry expected;
            expected = state.entry(name);
            LogRecovery.Result r = LogRecovery.recover(ctx, name, expected, true);
            if (r == null) {
                throw new StoreException(StoreException.Kind.LOG_UNAVAILABLE, "log '" + name + "' had nothing left to "
                        + "repair; delete it instead");
            }
            Log log = r.log();
            long checkpoint = Math.max(expected == null ? 0 : expected.checkpoint(), log.recordedEnd());
            try {
                state.putLog(name, new StoreState.LogEntry(log.logIdForKeys(), checkpoint));
            } catch (IOException | RuntimeException e) {
                log.close(false);
                throw e;
            }
            unavailable.remove(name);
            logs.put(name, log);
            log.settleSkipped();
            return new RepairReport(name, r.lost(), log.endOffset(), problem.getMessage());
        });
        LOG.warn("log '{}' repaired by accepting the loss of offsets {}; it continues at offset {}", name, report.lost(),
                report.nextOffset());
        return report;
    }

    /** The metadata key of {@code purpose} under the current KEK, for files the store's owner authenticates. */
    public MetadataMac metadataMac(String purpose) {
        return MetadataMac.derive(ctx.keyring().current(), purpose);
    }

    /** The metadata key of {@code purpose} under the KEK {@code kekId}, if the keyring has it. */
    public Optional<MetadataMac> metadataMac(String purpose, String kekId) {
        return MetadataMac.derive(ctx.keyring(), kekId, purpose);
    }

    /**
     * A named counter the store keeps for its owner in its authenticated state file, so that
     * files outside the store (the broker's queue catalog) can be bound to a generation that a
     * rollback of those files cannot match. Empty if it was never set.
     */
    public OptionalLong anchor(String name) {
        return state.anchor(name);
    }

    /** Durably sets a named counter (see {@link #anchor}); returns once it is on disk. */
    public void setAnchor(String name, long value) {
        checkOpen();
        try {
            state.setAnchor(name, value);
        } catch (IOException e) {
            throw new StoreException(CommitLoop.isDiskFull(e) ? StoreException.Kind.DISK_FULL : StoreException.Kind.IO_ERROR,
                    "writing the store state failed: " + e.getMessage(), e);
        }
    }

    /** Whether the store can take writes now; a full disk clears by itself once space is freed. */
    public StoreHealth health() {
        if (closed) {
            return StoreHealth.CLOSED;
        }
        if (ctx.commitLoop.failure() != null || ctx.subscriptionStore.failure() != null) {
            return StoreHealth.FAILED;
        }
        return ctx.commitLoop.diskFull() ? ctx.commitLoop.probeSpace() : StoreHealth.WRITABLE;
    }

    /** Whether the store accepts writes (it does not after a failed fsync or once closed). */
    public boolean isWritable() {
        return health() == StoreHealth.WRITABLE;
    }

    /** The failure that stopped writes, if any. */
    public Optional<StoreException> failure() {
        return Optional.ofNullable(ctx.commitLoop.failure());
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreException(StoreException.Kind.CLOSED, "the store is closed");
        }
    }

    /**
     * Completes every queued append, finishes the active segments, flushes subscription state and
     * releases the directory.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (retention != null) {
            retention.shutdownNow();
        }
        checkpointer.shutdown();
        try {
            if (!checkpointer.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("the store state checkpoint did not finish within 10 s; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ctx.commitLoop.close();
        boolean finish = ctx.commitLoop.failure() == null;
        for (Log l : logs.values()) {
            try {
                l.close(finish);
            } catch (IOException e) {
                LOG.warn("closing log '{}' failed: {}", l.name(), e.getMessage());
            }
        }
        if (finish) {
            try {
                checkpoint();
            } catch (IOException | RuntimeException e) {
                LOG.warn("writing the final store state checkpoint failed: {}", e.getMessage());
            }
        }
        try {
            ctx.subscriptionStore.close();
        } catch (IOException e) {
            LOG.warn("closing subscription state failed: {}", e.getMessage());
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.warn("releasing the store lock failed: {}", e.getMessage());
        }
    }

    /** Deletes a directory tree (used for logs already shredded or never finished). */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
