package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.securebroker.store.crypto.DataKey;
import org.securebroker.store.crypto.DataKeyFile;
import org.securebroker.store.crypto.SegmentKey;
import org.securebroker.store.crypto.WrappedDataKey;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.Closeables;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;
import org.securebroker.store.segment.Segment;
import org.securebroker.store.segment.SegmentHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens one log directory: reads its metadata and data keys, recovers every segment (see
 * {@link Segment#recover}), removes what a crash left half-made (a segment file without records,
 * a data key without a segment) and reports what it found.
 *
 * <p>Damaged metadata (log.meta, the data key file, a segment header) stops the open with a
 * {@code CORRUPTED_METADATA} error naming the file: these small files are restored from backup
 * rather than guessed at. A missing or wrong KEK stops it with {@code KEY_ERROR}.
 *
 * <p>Thread-safety: not thread-safe; used once per log during open.
 */
final class LogRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

    record Result(Log log, RecoveryReport.LogReport report) {
    }

    private LogRecovery() {
    }

    /** @return the recovered log, or null if the directory was an unfinished creation and was removed */
    static Result recover(StoreContext ctx, Path dir) throws IOException {
        FileLayer layer = ctx.config.fileLayer();
        TreeMap<Long, Path> segmentFiles = new TreeMap<>();
        List<String> notes = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String fileName = AtomicFiles.nameOf(p);
                long base = Segment.parseFileName(fileName);
                if (base >= 0) {
                    segmentFiles.put(base, p);
                } else if (fileName.endsWith(".tmp")) {
                    Files.delete(p);
                }
            }
        }
        if (!Files.exists(dir.resolve(LogMetadata.FILE_NAME))) {
            if (segmentFiles.isEmpty()) {
                Store.deleteTree(dir);
                layer.syncDirectory(ctx.logsDir);
                return null;
            }
            throw new StoreException(StoreException.Kind.CORRUPTED_METADATA, "log directory " + dir
                    + " has segments but no " + LogMetadata.FILE_NAME + "; restore it from backup");
        }
        LogMetadata meta = LogMetadata.read(dir);
        if (!meta.name().equals(AtomicFiles.nameOf(dir))) {
            throw new StoreException(StoreException.Kind.CORRUPTED_METADATA, "log directory " + dir
                    + " holds the metadata of log '" + meta.name() + "'");
        }
        byte[] logId = meta.logId();
        Path keyFile = Log.keyFile(ctx, logId);
        if (!Files.exists(keyFile)) {
            if (!segmentFiles.isEmpty()) {
                throw new StoreException(StoreException.Kind.CORRUPTED_METADATA, "log '" + meta.name() + "': its data key file "
                        + keyFile + " is missing, so its " + segmentFiles.size()
                        + " segment(s) cannot be decrypted; restore the key file from the key backup");
            }
            DataKeyFile.write(layer, keyFile, logId, List.of());
        }
        List<WrappedDataKey> wrapped = DataKeyFile.read(keyFile, logId);
        Map<Long, WrappedDataKey> keysByBase = new HashMap<>();
        for (WrappedDataKey k : wrapped) {
            keysByBase.put(k.segmentBase(), k);
        }

        List<Segment> segments = new ArrayList<>();
        List<WrappedDataKey> keptKeys = new ArrayList<>();
        List<RecoveryReport.Quarantined> quarantined = new ArrayList<>();
        long truncatedBytes = 0;
        int truncatedRecords = 0;
        long floorNext = meta.startOffset();
        boolean changed = false;
        List<Long> bases = new ArrayList<>(segmentFiles.keySet());
        try {
            for (int i = 0; i < bases.size(); i++) {
                long base = bases.get(i);
                Path file = segmentFiles.get(base);
                boolean last = i == bases.size() - 1;
                long nextBase = last ? -1 : bases.get(i + 1);
                StorageChannel channel = layer.open(file, false);
                boolean keep = false;
                try {
                    long size = channel.size();
                    ByteBuffer head = ByteBuffer.allocate(SegmentHeader.BYTES);
                    channel.readFully(head, 0);
                    SegmentHeader header = SegmentHeader.decode(head.flip());
                    WrappedDataKey key = keysByBase.get(base);
                    if (last && size <= SegmentHeader.BYTES && (header == null || key == null)) {
                        notes.add("removed " + file.getFileName() + ", a segment whose creation was interrupted");
                        floorNext = Math.max(floorNext, base);
                        channel.close();
                        Files.delete(file);
                        changed = true;
                        continue;
                    }
                    if (header == null) {
                        throw new StoreException(StoreException.Kind.CORRUPTED_METADATA, "segment " + file
                                + " has a damaged header; restore it from backup or move it aside to drop its records");
                    }
                    if (!java.util.Arrays.equals(header.logId(), logId) || header.baseOffset() != base) {
                        throw new StoreException(StoreException.Kind.CORRUPTED_METADATA, "segment " + file
                                + " belongs to another log or position (header says base offset " + header.baseOffset() + ")");
                    }
                    if (key == null || key.keyId() != header.keyId()) {
                        throw new StoreException(StoreException.Kind.CORRUPTED_METADATA, "segment " + file
                                + " has no data key in " + keyFile + "; restore the key file from the key backup");
                    }
                    DataKey dataKey = ctx.wrapper.unwrap(ctx.keyring(), key, logId,
                            "log '" + meta.name() + "' segment " + file.getFileName());
                    Segment.Recovered r = Segment.recover(channel, file, meta.name(), header,
                            new SegmentKey(logId, base, dataKey), nextBase, Log.maxRecordLength(ctx.config),
                            ctx.config.indexInterval(), q -> ctx.config.listener().onQuarantine(meta.name(), file,
                                    q.offsets(), q.reason()));
                    truncatedBytes += r.truncatedBytes();
                    truncatedRecords += r.truncatedRecords();
                    for (Segment.Quarantine q : r.quarantined()) {
                        quarantined.add(new RecoveryReport.Quarantined(AtomicFiles.nameOf(file), q.offsets(),
                                q.position(), q.length(), q.reason()));
                        ctx.config.listener().onQuarantine(meta.name(), file, q.offsets(), q.reason());
                    }
                    if (r.segment().isEmpty()) {
                        notes.add("removed " + file.getFileName() + ", which held no complete record");
                        floorNext = Math.max(floorNext, base);
                        r.segment().close();
                        dataKey.destroy();
                        Files.delete(file);
                        changed = true;
                        continue;
                    }
                    segments.add(r.segment());
                    keptKeys.add(key);
                    keep = true;
                } finally {
                    if (!keep) {
                        Closeables.closeQuietly(channel);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            for (Segment s : segments) {
                Closeables.closeQuietly(s);
            }
            throw e;
        }
        if (keptKeys.size() != wrapped.size()) {
            DataKeyFile.write(layer, keyFile, logId, keptKeys);
        }
        if (changed) {
            layer.syncDirectory(dir);
        }
        long nextOffset = segments.isEmpty() ? floorNext
                : Math.max(floorNext, segments.get(segments.size() - 1).durable().nextOffset());
        Log log = new Log(ctx, meta, dir, segments, keptKeys, nextOffset);
        if (truncatedBytes > 0) {
            LOG.warn("log '{}': truncated a torn tail of {} bytes ({} record start(s)) that was never acknowledged",
                    meta.name(), truncatedBytes, truncatedRecords);
        }
        for (RecoveryReport.Quarantined q : quarantined) {
            LOG.error("log '{}': offsets {} in {} are quarantined and will not be served: {}", meta.name(), q.offsets(),
                    q.segmentFile(), q.reason());
        }
        RecoveryReport.LogReport report = new RecoveryReport.LogReport(meta.name(), segments.size(), log.startOffset(),
                nextOffset, truncatedBytes, truncatedRecords, quarantined, notes);
        return new Result(log, report);
    }

}
