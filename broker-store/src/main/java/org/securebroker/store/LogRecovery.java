package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.securebroker.store.crypto.DataKey;
import org.securebroker.store.crypto.SegmentKey;
import org.securebroker.store.crypto.WrappedDataKey;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.Closeables;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.PrivateDirectories;
import org.securebroker.store.io.StorageChannel;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.segment.Segment;
import org.securebroker.store.segment.SegmentHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens one log: checks that its files add up to what its authenticated manifest and the store
 * state's checkpoint say, recovers every segment (see {@link Segment#recover}) and reports what
 * it found.
 *
 * <p>A log whose files do not add up (a segment missing, shorter or longer than recorded, an
 * unlisted segment, a damaged header or manifest, an end below the checkpoint) is not opened:
 * recovery fails with {@code LOG_UNAVAILABLE}, naming every problem with its file and offsets,
 * and changes nothing. Only in repair mode (an operator accepted the loss) are such problems
 * turned into lost offset ranges, recorded for good in the manifest, and the files that cannot
 * be used moved aside. Wrapped data keys are never dropped: a segment restored from a backup
 * stays decryptable.
 *
 * <p>After a crash the last segment's torn tail (bytes beyond every offset a later record says
 * was durable) is cut, and the log continues above the offsets reserved for that segment, so
 * no offset that may have been handed out before the crash is handed out again.
 *
 * <p>Thread-safety: not thread-safe; used once per log during open or repair.
 */
final class LogRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

    record Result(Log log, RecoveryReport.LogReport report, List<OffsetRange> lost, List<String> problems) {
    }

    /** What one problem makes lost if the operator accepts it. */
    private record Problem(String message, OffsetRange lost) {
    }

    private final StoreContext ctx;
    private final FileLayer layer;
    private final String name;
    private final Path dir;
    private final StoreState.LogEntry expected;
    private final boolean acceptLoss;
    private final List<Problem> problems = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<RecoveryReport.Quarantined> quarantined = new ArrayList<>();
    private final List<Segment> segments = new ArrayList<>();
    private byte[] logId;
    /** Segment files the manifest does not list: {base, end of their records, index of their problem}. */
    private final List<long[]> unlisted = new ArrayList<>();
    /** The next offset is at least this: reservations unlisted files may have had. */
    private long floor;
    private long truncatedBytes;
    private int truncatedRecords;
    private boolean crashRecovered;

    private LogRecovery(StoreContext ctx, String name, StoreState.LogEntry expected, boolean acceptLoss) {
        this.ctx = ctx;
        this.layer = ctx.config.fileLayer();
        this.name = name;
        this.dir = ctx.logsDir.resolve(name);
        this.expected = expected;
        this.acceptLoss = acceptLoss;
    }

    /**
     * Recovers the log {@code name}.
     *
     * @param expected what the store state says about the log, or null if it has no entry (a
     *     store written by an earlier version, or a log whose creation was interrupted)
     * @param acceptLoss whether problems are accepted as losses (an operator's repair)
     * @return the recovered log, or null if the directory was an unfinished creation and was removed
     * @throws StoreException {@code LOG_UNAVAILABLE} if the files do not add up, {@code KEY_ERROR}
     *     if a KEK is missing
     */
    static Result recover(StoreContext ctx, String name, StoreState.LogEntry expected, boolean acceptLoss)
            throws IOException {
        return new LogRecovery(ctx, name, expected, acceptLoss).run();
    }

    private Result run() throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        boolean dirExists = Files.isDirectory(dir);
        if (dirExists) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path p : entries) {
                    String fileName = AtomicFiles.nameOf(p);
                    long base = Segment.parseFileName(fileName);
                    if (base >= 0) {
                        files.put(base, p);
                    } else if (fileName.endsWith(".tmp")) {
                        Files.delete(p);
                    }
                }
            }
        }
        LogMetadata meta = readMetadata(dirExists, files);
        if (meta == null) {
            return null;
        }
        logId = meta.logId();
        Path manifestFile = Log.keyFile(ctx, logId);
        LogManifest manifest;
        try {
            if (Files.exists(manifestFile)) {
                manifest = LogManifest.read(manifestFile, meta.logId(), name, ctx.keyring());
            } else if (files.isEmpty() && expected == null) {
                // the log's creation was interrupted before its manifest was written
                manifest = LogManifest.empty(meta.logId(), name, 0).write(layer, manifestFile, manifestMac());
            } else {
                throw unavailable("its manifest " + manifestFile + " is missing; it holds the data keys of the log's "
                        + files.size() + " segment file(s), so nothing can be recovered without it: restore it from "
                        + "the key backup, or delete the queue");
            }
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.LOG_UNAVAILABLE) {
                throw e;
            }
            if (e.kind() == StoreException.Kind.KEY_ERROR) {
                throw e;
            }
            throw unavailable(e.getMessage() + " (it holds the log's data keys, so it cannot be repaired by accepting "
                    + "a loss: restore it, or delete the queue)");
        }
        if (manifest.legacy() && !ctx.upgrading) {
            throw unavailable("its key file " + manifestFile + " is a version-1 file (checked by a CRC only) in a store "
                    + "that was upgraded to authenticated manifests: it was replaced by an old copy or forged; restore "
                    + "the version-2 manifest from the key backup, or delete the queue");
        }
        if (expected == null && !manifest.legacy() && !files.isEmpty() && StoreState.exists(ctx.config.directory())) {
            problems.add(new Problem("the log is not in the store state " + StoreState.FILE_NAME
                    + " (the state file was rolled back, or the log was copied in from elsewhere)", null));
        }
        try {
            LogManifest recovered = manifest.legacy() ? recoverLegacy(manifest, files) : recoverEntries(manifest, files);
            long checkpoint = expected == null ? 0 : expected.checkpoint();
            long end = recovered.startOffset();
            for (LogManifest.Entry e : recovered.entries()) {
                end = Math.max(end, e.isOpen() ? e.base() : e.end());
            }
            for (OffsetRange r : recovered.lost()) {
                end = Math.max(end, r.to());
            }
            if (end < checkpoint) {
                problems.add(new Problem("the log's files end at offset " + end + " but offsets up to " + checkpoint
                        + " had been acknowledged (store state checkpoint): records were lost",
                        new OffsetRange(end, checkpoint)));
            }
            List<OffsetRange> lost = new ArrayList<>();
            if (!problems.isEmpty()) {
                if (!acceptLoss) {
                    List<String> messages = new ArrayList<>();
                    problems.forEach(p -> messages.add(p.message()));
                    throw unavailable(String.join("; ", messages));
                }
                for (Problem p : problems) {
                    if (p.lost() != null && !p.lost().isEmpty()) {
                        lost.add(p.lost());
                    }
                }
                List<OffsetRange> all = new ArrayList<>(recovered.lost());
                all.addAll(lost);
                recovered = recovered.withLost(merge(all));
            }
            // a clean stop shrank the last reservation to what was handed out, so this is the exact
            // end then; after an unclean stop it skips everything reserved before
            long next = Math.max(end, recovered.reservedEnd());
            next = Math.max(Math.max(next, checkpoint), floor);
            if (!recovered.clean() && next > end && !recovered.entries().isEmpty()) {
                notes.add("offsets [" + end + ", " + next + ") were reserved before an unclean stop and are skipped, "
                        + "so none of them is handed out twice");
            }
            if (!recovered.equals(manifest) || manifest.legacy()) {
                recovered = recovered.withClean(recovered.clean() && !crashRecovered)
                        .write(layer, manifestFile, manifestMac());
            }
            Log log = new Log(ctx, meta, dir, segments, recovered, next);
            report(log, recovered, next);
            List<String> problemMessages = new ArrayList<>();
            problems.forEach(p -> problemMessages.add(p.message()));
            return new Result(log, new RecoveryReport.LogReport(name, segments.size(), log.startOffset(), next,
                    truncatedBytes, truncatedRecords, quarantined, notes, crashRecovered, lost), lost, problemMessages);
        } catch (IOException | RuntimeException e) {
            for (Segment s : segments) {
                Closeables.closeQuietly(s);
            }
            throw e;
        }
    }

    private org.securebroker.store.crypto.MetadataMac manifestMac() {
        return org.securebroker.store.crypto.MetadataMac.derive(ctx.keyring().current(), LogManifest.PURPOSE);
    }

    /** Reads log.meta; null if the directory was an unfinished creation and was removed. */
    private LogMetadata readMetadata(boolean dirExists, TreeMap<Long, Path> files) throws IOException {
        if (!dirExists) {
            if (expected == null) {
                return null;
            }
            if (!acceptLoss) {
                throw unavailable("its directory " + dir + " is missing");
            }
            if (!Files.exists(Log.keyFile(ctx, expected.logId()))) {
                throw unavailable("its directory " + dir + " and its manifest " + Log.keyFile(ctx, expected.logId())
                        + " are both missing, so what it held cannot be known: restore them from backup, or delete "
                        + "the queue");
            }
            PrivateDirectories.create(dir);
            LogMetadata meta = new LogMetadata(name, expected.logId(), ctx.config.clock().millis(), 0);
            meta.write(layer, dir);
            layer.syncDirectory(ctx.logsDir);
            notes.add("recreated the missing directory " + dir);
            return meta;
        }
        Path metaFile = dir.resolve(LogMetadata.FILE_NAME);
        if (!Files.exists(metaFile) && files.isEmpty() && expected == null) {
            Store.deleteTree(dir);
            layer.syncDirectory(ctx.logsDir);
            return null;
        }
        LogMetadata meta;
        try {
            meta = Files.exists(metaFile) ? LogMetadata.read(dir) : null;
        } catch (StoreException e) {
            meta = null;
        }
        if (meta == null || !meta.name().equals(name)) {
            String why = !Files.exists(metaFile) ? "is missing" : meta == null ? "is damaged" : "names another log";
            if (expected == null || !acceptLoss) {
                throw unavailable("its metadata " + metaFile + " " + why);
            }
            meta = new LogMetadata(name, expected.logId(), ctx.config.clock().millis(), 0);
            meta.write(layer, dir);
            notes.add("rewrote " + metaFile + ", which " + why);
        }
        if (expected != null && !Arrays.equals(meta.logId(), expected.logId())) {
            throw unavailable("its directory holds the files of another log (id " + Store.hex(meta.logId())
                    + ", the store state expects " + expected.idHex() + ")");
        }
        return meta;
    }

    /** Checks and recovers the segments a version-2 manifest lists. */
    private LogManifest recoverEntries(LogManifest manifest, TreeMap<Long, Path> files) throws IOException {
        Map<Long, LogManifest.Entry> byBase = new HashMap<>();
        manifest.entries().forEach(e -> byBase.put(e.base(), e));
        for (Map.Entry<Long, Path> f : new ArrayList<>(files.entrySet())) {
            if (byBase.containsKey(f.getKey())) {
                continue;
            }
            if (f.getKey() < manifest.startOffset()) {
                Files.delete(f.getValue());
                notes.add("removed " + f.getValue().getFileName() + ", released before a crash cut its deletion short");
            } else {
                long[] held = heldBy(f.getValue(), f.getKey());
                unlisted.add(new long[] {f.getKey(), held[0], problems.size()});
                floor = Math.max(floor, held[1]);
                problems.add(new Problem("segment file " + f.getValue() + " (offsets [" + f.getKey() + ", " + held[0]
                        + ")) is not in the log's manifest", null));
                moveAside(f.getValue(), "unlisted");
            }
            files.remove(f.getKey());
        }
        long checkpoint = expected == null ? 0 : expected.checkpoint();
        List<LogManifest.Entry> out = new ArrayList<>();
        List<LogManifest.Entry> entries = manifest.entries();
        for (int i = 0; i < entries.size(); i++) {
            LogManifest.Entry e = entries.get(i);
            boolean last = i == entries.size() - 1;
            Path file = files.get(e.base());
            Path expectedFile = dir.resolve(Segment.fileName(e.base()));
            if (e.isOpen() && (!last || manifest.clean())) {
                problems.add(new Problem("the manifest lists " + e + " as taking appends, which only the last "
                        + "segment of a log that did not stop cleanly can", null));
            }
            if (file == null) {
                if (e.isVacant()) {
                    out.add(e);
                } else if (!e.isOpen()) {
                    problems.add(new Problem("segment file " + expectedFile + " holding offsets [" + e.base() + ", "
                            + e.end() + ") is missing", new OffsetRange(e.base(), e.end())));
                    out.add(e.finished(e.end(), 0));
                } else if (checkpoint > e.base()) {
                    problems.add(new Problem("segment file " + expectedFile + " is missing; offsets [" + e.base() + ", "
                            + checkpoint + ") in it had been acknowledged", new OffsetRange(e.base(), checkpoint)));
                    out.add(e.finished(e.base(), 0));
                } else {
                    notes.add("segment " + expectedFile.getFileName() + " was never created, or lost before anything "
                            + "in it was checkpointed; offsets [" + e.base() + ", " + e.limit() + ") are skipped");
                    crashRecovered = true;
                    out.add(e.finished(e.base(), 0));
                }
                continue;
            }
            if (e.isVacant()) {
                problems.add(new Problem("segment file " + file + " exists, but the manifest says it holds nothing", null));
                moveAside(file, "unlisted");
                out.add(e);
                continue;
            }
            out.add(recoverSegment(e, file, last, checkpoint));
        }
        // what unlisted files held is lost to the log (they are moved aside in a repair); the part
        // above everything the manifest lists is reported as such
        long listedEnd = manifest.startOffset();
        for (LogManifest.Entry e : out) {
            listedEnd = Math.max(listedEnd, e.isOpen() ? e.base() : e.end());
        }
        for (long[] u : unlisted) {
            if (u[1] > Math.max(u[0], listedEnd)) {
                int at = (int) u[2];
                problems.set(at, new Problem(problems.get(at).message(), new OffsetRange(Math.max(u[0], listedEnd), u[1])));
            }
        }
        return manifest.withEntries(out).withClean(manifest.clean());
    }

    /**
     * The offsets an unlisted segment file held and how far its reservation may have reached:
     * {end of its records, base + a segment's reservation}; its header is read without its key.
     */
    private long[] heldBy(Path file, long base) throws IOException {
        long reach = base + Log.reservation(ctx.config);
        try (StorageChannel channel = layer.open(file, false)) {
            ByteBuffer head = ByteBuffer.allocate(SegmentHeader.BYTES);
            channel.readFully(head, 0);
            SegmentHeader header = SegmentHeader.decode(head.flip());
            if (header == null || header.baseOffset() != base || !Arrays.equals(header.logId(), logId)) {
                return new long[] {base, reach};
            }
            return new long[] {Math.max(base, Segment.scannedEnd(channel, header, Log.maxRecordLength(ctx.config))),
                    reach};
        }
    }

    private LogManifest.Entry recoverSegment(LogManifest.Entry e, Path file, boolean last, long checkpoint)
            throws IOException {
        long recordedEnd = e.isOpen() ? Math.max(e.base(), checkpoint) : e.end();
        OffsetRange whole = new OffsetRange(e.base(), Math.max(e.base(), recordedEnd));
        StorageChannel channel = layer.open(file, false);
        boolean keep = false;
        try {
            long size = channel.size();
            ByteBuffer head = ByteBuffer.allocate(SegmentHeader.BYTES);
            channel.readFully(head, 0);
            SegmentHeader header = SegmentHeader.decode(head.flip());
            if (e.isOpen() && last && size <= SegmentHeader.BYTES && checkpoint <= e.base()
                    && (header == null || size < SegmentHeader.BYTES)) {
                // killed while the file was being created: its header never became durable, so
                // nothing in it was ever written
                channel.close();
                Files.delete(file);
                layer.syncDirectory(dir);
                crashRecovered = true;
                notes.add("removed " + file.getFileName() + ", a segment whose creation was interrupted; offsets ["
                        + e.base() + ", " + e.limit() + ") are skipped");
                return e.finished(e.base(), 0);
            }
            if (header == null || !Arrays.equals(header.logId(), logIdOf(e)) || header.baseOffset() != e.base()
                    || header.keyId() != e.key().keyId()) {
                problems.add(new Problem("segment file " + file + " has a damaged header or belongs elsewhere; offsets "
                        + whole + " in it cannot be read", whole));
                channel.close();
                moveAside(file, "damaged");
                return e.finished(e.base(), 0);
            }
            DataKey dataKey = ctx.wrapper.unwrap(ctx.keyring(), e.key(), logIdOf(e), "log '" + name + "' segment "
                    + file.getFileName());
            boolean finished = !e.isOpen();
            boolean sizeMatches = finished && size == e.length();
            if (finished && !sizeMatches) {
                problems.add(new Problem("segment file " + file + " is " + size + " bytes but the manifest records "
                        + e.length() + " (offsets [" + e.base() + ", " + e.end() + ")): it was truncated, extended or "
                        + "replaced by another copy", null));
                if (!acceptLoss) {
                    dataKey.destroy();
                    return e;
                }
            }
            // a finished segment is recovered against its recorded end; an open one (or one
            // being repaired) like the last segment after a crash
            long nextBase = sizeMatches ? e.end() : -1;
            if (e.isOpen() && !acceptLoss && checkpoint > e.base()) {
                // decide before anything is cut: a tail that would end below the checkpoint is a
                // loss, and the files of a log that will not open are left as they are
                Segment.Recovered dry = Segment.recover(channel, file, name, header, new SegmentKey(logIdOf(e), e.base(),
                        dataKey), -1, Log.maxRecordLength(ctx.config), ctx.config.indexInterval(), q -> { }, true);
                long wouldEnd = dry.segment().durable().nextOffset();
                if (wouldEnd < checkpoint) {
                    problems.add(new Problem("segment file " + file + " ends at offset " + wouldEnd + " but offsets up to "
                            + checkpoint + " had been acknowledged: it was truncated or replaced by an older copy",
                            new OffsetRange(wouldEnd, checkpoint)));
                    dataKey.destroy();
                    return e;
                }
            }
            Segment.Recovered r = Segment.recover(channel, file, name, header, new SegmentKey(logIdOf(e), e.base(),
                    dataKey), nextBase, Log.maxRecordLength(ctx.config), ctx.config.indexInterval(),
                    q -> ctx.config.listener().onQuarantine(name, file, q.offsets(), q.reason()));
            keep = true;
            for (Segment.Quarantine q : r.quarantined()) {
                quarantined.add(new RecoveryReport.Quarantined(AtomicFiles.nameOf(file), q.offsets(), q.position(),
                        q.length(), q.reason()));
                ctx.config.listener().onQuarantine(name, file, q.offsets(), q.reason());
            }
            long end = r.segment().durable().nextOffset();
            long length = r.segment().durable().position();
            if (e.isOpen()) {
                crashRecovered = true;
                truncatedBytes += r.truncatedBytes();
                truncatedRecords += r.truncatedRecords();
                if (end < checkpoint) {
                    problems.add(new Problem("segment file " + file + " ends at offset " + end + " but offsets up to "
                            + checkpoint + " had been acknowledged: it was truncated or replaced by an older copy",
                            new OffsetRange(end, checkpoint)));
                }
            } else if (!sizeMatches) {
                if (end < e.end()) {
                    problems.set(problems.size() - 1, new Problem(problems.get(problems.size() - 1).message(),
                            new OffsetRange(end, e.end())));
                }
            } else if (end != e.end()) {
                problems.add(new Problem("segment file " + file + " ends at offset " + end + " but the manifest records "
                        + e.end(), end < e.end() ? new OffsetRange(end, e.end()) : null));
            }
            if (r.segment().isEmpty() && e.isOpen()) {
                notes.add("removed " + file.getFileName() + ", which held no complete record");
                r.segment().close();
                dataKey.destroy();
                Files.delete(file);
                layer.syncDirectory(dir);
                keep = false;
                return e.finished(e.base(), 0);
            }
            segments.add(r.segment());
            return e.finished(end, length);
        } finally {
            if (!keep) {
                Closeables.closeQuietly(channel);
            }
        }
    }

    /** A log written by an earlier version: recovered as before, then given a version-2 manifest. */
    private LogManifest recoverLegacy(LogManifest manifest, TreeMap<Long, Path> files) throws IOException {
        Map<Long, WrappedDataKey> keysByBase = new HashMap<>();
        manifest.entries().forEach(e -> keysByBase.put(e.base(), e.key()));
        List<LogManifest.Entry> out = new ArrayList<>();
        List<Long> bases = new ArrayList<>(files.keySet());
        for (int i = 0; i < bases.size(); i++) {
            long base = bases.get(i);
            Path file = files.get(base);
            boolean last = i == bases.size() - 1;
            WrappedDataKey key = keysByBase.remove(base);
            if (key == null && last && Files.size(file) <= SegmentHeader.BYTES) {
                Files.delete(file);
                notes.add("removed " + file.getFileName() + ", a segment whose creation was interrupted");
                continue;
            }
            if (key == null) {
                problems.add(new Problem("segment file " + file + " has no data key in the log's manifest", null));
                continue;
            }
            StorageChannel channel = layer.open(file, false);
            boolean keep = false;
            try {
                ByteBuffer head = ByteBuffer.allocate(SegmentHeader.BYTES);
                channel.readFully(head, 0);
                SegmentHeader header = SegmentHeader.decode(head.flip());
                if (header == null || header.baseOffset() != base || header.keyId() != key.keyId()) {
                    problems.add(new Problem("segment file " + file + " has a damaged header", null));
                    out.add(new LogManifest.Entry(base, base, base, 0, key));
                    channel.close();
                    moveAside(file, "damaged");
                    continue;
                }
                DataKey dataKey = ctx.wrapper.unwrap(ctx.keyring(), key, manifest.logId(), "log '" + name
                        + "' segment " + file.getFileName());
                Segment.Recovered r = Segment.recover(channel, file, name, header, new SegmentKey(manifest.logId(), base,
                        dataKey), last ? -1 : bases.get(i + 1), Log.maxRecordLength(ctx.config),
                        ctx.config.indexInterval(), q -> ctx.config.listener().onQuarantine(name, file, q.offsets(),
                                q.reason()));
                keep = true;
                truncatedBytes += r.truncatedBytes();
                truncatedRecords += r.truncatedRecords();
                for (Segment.Quarantine q : r.quarantined()) {
                    quarantined.add(new RecoveryReport.Quarantined(AtomicFiles.nameOf(file), q.offsets(), q.position(),
                            q.length(), q.reason()));
                    ctx.config.listener().onQuarantine(name, file, q.offsets(), q.reason());
                }
                long end = r.segment().durable().nextOffset();
                segments.add(r.segment());
                out.add(new LogManifest.Entry(base, end, end, r.segment().durable().position(), key));
            } finally {
                if (!keep) {
                    Closeables.closeQuietly(channel);
                }
            }
        }
        // keys without a segment are kept (a segment restored from backup stays decryptable)
        keysByBase.values().forEach(k -> out.add(new LogManifest.Entry(k.segmentBase(), k.segmentBase(),
                k.segmentBase(), 0, k)));
        out.sort(java.util.Comparator.comparingLong(LogManifest.Entry::base));
        LogMetadata meta = LogMetadata.read(dir);
        notes.add("upgraded the log's key file to a version-2 manifest");
        return new LogManifest(manifest.logId(), name, 0, meta.startOffset(), true, List.of(), out, false, null);
    }

    private byte[] logIdOf(LogManifest.Entry e) {
        return logId;
    }

    private void moveAside(Path file, String why) throws IOException {
        if (!acceptLoss) {
            return;
        }
        Path target = file.resolveSibling(AtomicFiles.nameOf(file) + "." + why + "-" + ctx.config.clock().millis());
        Files.move(file, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        layer.syncDirectory(dir);
        notes.add("moved " + file.getFileName() + " aside to " + target.getFileName());
    }

    private StoreException unavailable(String why) {
        return new StoreException(StoreException.Kind.LOG_UNAVAILABLE, "log '" + name + "' is unavailable: " + why);
    }

    private void report(Log log, LogManifest manifest, long next) {
        if (truncatedBytes > 0) {
            LOG.warn("log '{}': the broker had stopped uncleanly; cut a torn tail of {} bytes ({} record start(s)) "
                    + "beyond the last record every later write vouched for; none of it had been acknowledged",
                    name, truncatedBytes, truncatedRecords);
        }
        for (RecoveryReport.Quarantined q : quarantined) {
            LOG.error("log '{}': offsets {} in {} are quarantined and will not be served: {}", name, q.offsets(),
                    q.segmentFile(), q.reason());
        }
        for (String n : notes) {
            LOG.info("log '{}': {}", name, n);
        }
    }

    static List<OffsetRange> merge(List<OffsetRange> ranges) {
        List<OffsetRange> sorted = new ArrayList<>(ranges);
        sorted.sort(java.util.Comparator.comparingLong(OffsetRange::from));
        List<OffsetRange> out = new ArrayList<>();
        for (OffsetRange r : sorted) {
            if (!out.isEmpty() && out.get(out.size() - 1).to() >= r.from()) {
                OffsetRange prev = out.remove(out.size() - 1);
                out.add(new OffsetRange(prev.from(), Math.max(prev.to(), r.to())));
            } else if (!r.isEmpty()) {
                out.add(r);
            }
        }
        return out;
    }
}
