package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.securebroker.store.crypto.DataKey;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.crypto.SegmentKey;
import org.securebroker.store.crypto.WrappedDataKey;
import org.securebroker.store.failure.RecordCorruptedException;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.segment.RecordFormat;
import org.securebroker.store.segment.Segment;
import org.securebroker.store.subscription.Subscriptions;

/**
 * One named, append-only log of encrypted records (one per queue).
 *
 * <p>Appends are queued to the store's commit thread and acknowledged (the future completes)
 * only after their bytes were fsynced. Reads see acknowledged records only.
 *
 * <p>Thread-safety: thread-safe. Any thread may append and read concurrently; the package-private
 * writer methods run on the commit thread only.
 */
public final class Log {

    private final StoreContext ctx;
    private final String name;
    private final byte[] logId;
    private final Path dir;
    private final Path keyFile;
    private final Subscriptions subscriptions;

    private volatile List<Segment> segments;
    private volatile long startOffset;
    private volatile long durableEnd;
    private volatile boolean deleted;

    /** Commit-thread state: the next offset, and the manifest as last written (read by any thread). */
    private long nextOffset;
    private volatile LogManifest manifest;

    Log(StoreContext ctx, LogMetadata meta, Path dir, List<Segment> segments, LogManifest manifest, long nextOffset) {
        this.ctx = ctx;
        this.name = meta.name();
        this.logId = meta.logId();
        this.dir = dir;
        this.keyFile = keyFile(ctx, logId);
        this.segments = List.copyOf(segments);
        this.manifest = manifest;
        this.nextOffset = nextOffset;
        this.durableEnd = nextOffset;
        long first = segments.isEmpty() ? manifest.startOffset() : segments.get(0).baseOffset();
        this.startOffset = Math.min(nextOffset, Math.max(manifest.startOffset(), first));
        this.subscriptions = ctx.subscriptionStore.forLog(name, this::skippedRanges);
    }

    /** How many offsets a segment reserves: more than it can ever hold, so a roll is never forced by count. */
    static long reservation(StoreConfig config) {
        return ((long) Math.max(config.segmentBytes(), config.maxBatchBytes()) + config.maxBatchBytes())
                / RecordFormat.OVERHEAD + 1;
    }

    /** How many offsets of {@code [from, to)} are skipped ({@link #skippedRanges()}): they hold no record. */
    public long skippedCount(long from, long to) {
        long n = 0;
        for (org.securebroker.store.record.OffsetRange r : skippedRanges()) {
            long a = Math.max(from, r.from());
            long b = Math.min(to, r.to());
            if (b > a) {
                n += b - a;
            }
        }
        return n;
    }

    /**
     * The offsets below the end that hold no record and never will: skipped after an unclean
     * stop (reserved, possibly handed out, never durable), accepted as lost by a repair, or
     * between segments. Subscriptions treat them as acknowledged.
     */
    List<org.securebroker.store.record.OffsetRange> skippedRanges() {
        LogManifest m = manifest;
        List<org.securebroker.store.record.OffsetRange> out = new ArrayList<>(m.lost());
        long at = -1;
        for (LogManifest.Entry e : m.entries()) {
            if (at >= 0 && e.base() > at) {
                out.add(new org.securebroker.store.record.OffsetRange(at, e.base()));
            }
            at = e.isOpen() ? -1 : e.end();
        }
        long end = durableEnd;
        if (at >= 0 && end > at) {
            out.add(new org.securebroker.store.record.OffsetRange(at, end));
        }
        return LogRecovery.merge(out);
    }

    static Path keyFile(StoreContext ctx, byte[] logId) {
        return ctx.keysDir.resolve(java.util.HexFormat.of().formatHex(logId) + ".dek");
    }

    public String name() {
        return name;
    }

    byte[] logIdForKeys() {
        return logId;
    }

    /** The first offset that can be read; records below it were released. */
    public long startOffset() {
        return startOffset;
    }

    /** The offset the next record will get; every record below it is durable. */
    public long endOffset() {
        return durableEnd;
    }

    /** The log's durable subscription state. */
    public Subscriptions subscriptions() {
        return subscriptions;
    }

    /** Bytes held by the log's segment files. */
    public long sizeBytes() {
        long total = 0;
        for (Segment s : segments) {
            total += s.durable().position();
        }
        return total;
    }

    public int segmentCount() {
        return segments.size();
    }

    /**
     * Bytes held by the segment files that still hold records at or above the start offset:
     * {@link #sizeBytes()} less the segments {@link #releaseBelow} released, whose files the
     * commit thread deletes a little later. What the log holds once those are gone.
     */
    public long retainedSizeBytes() {
        List<Segment> list = segments;
        long total = 0;
        for (int i = firstRetained(list, startOffset); i < list.size(); i++) {
            total += list.get(i).durable().position();
        }
        return total;
    }

    /** How many segments still hold records at or above the start offset (see {@link #retainedSizeBytes()}). */
    public int retainedSegmentCount() {
        List<Segment> list = segments;
        return list.size() - firstRetained(list, startOffset);
    }

    /**
     * Where the log's second retained segment starts: releasing every record below it lets the
     * first segment still holding records be deleted, the smallest step by which the log's size
     * on disk shrinks beyond what was released already. The end offset when fewer than two
     * segments hold retained records (then only the active segment holds data, and releasing
     * cannot shrink the files until it rolls).
     */
    public long secondSegmentBase() {
        List<Segment> list = segments;
        int second = firstRetained(list, startOffset) + 1;
        return second >= list.size() ? durableEnd : list.get(second).baseOffset();
    }

    /**
     * The index of the first segment holding a record at or above {@code start}: the segments
     * before it were released whole (retention deletes them; it never deletes the last one).
     */
    private static int firstRetained(List<Segment> list, long start) {
        int i = 0;
        while (i < list.size() - 1 && list.get(i).durable().nextOffset() <= start) {
            i++;
        }
        return i;
    }

    /**
     * Appends one record. The payload's remaining bytes are read on the commit thread, so the
     * buffer must not change until the future completes.
     *
     * @return a future completed with the offset after the record was fsynced, or exceptionally
     *     with a {@link StoreException} (never before the fsync, never after a failed fsync)
     */
    public CompletableFuture<AppendResult> append(ByteBuffer payload) {
        return append(List.of(payload));
    }

    /**
     * Appends records that get consecutive offsets and one acknowledgement.
     *
     * @see #append(ByteBuffer)
     */
    public CompletableFuture<AppendResult> append(List<ByteBuffer> payloads) {
        if (payloads.isEmpty()) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Kind.INVALID_ARGUMENT,
                    "an append needs at least one record"));
        }
        long encoded = 0;
        int sealBytes = ctx.config.maxSealBytes();
        ByteBuffer[] records = new ByteBuffer[payloads.size()];
        for (int i = 0; i < records.length; i++) {
            ByteBuffer p = payloads.get(i);
            if (p.remaining() > ctx.config.maxRecordBytes()) {
                return CompletableFuture.failedFuture(new StoreException(StoreException.Kind.RECORD_TOO_LARGE,
                        "record of " + p.remaining() + " bytes exceeds the limit of " + ctx.config.maxRecordBytes()));
            }
            records[i] = p.duplicate();
            encoded += RecordFormat.recordLength(p.remaining()) + sealBytes;
        }
        if (encoded > ctx.config.maxBatchBytes()) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Kind.RECORD_TOO_LARGE,
                    "batch of " + encoded + " encoded bytes exceeds maxBatchBytes " + ctx.config.maxBatchBytes()));
        }
        return ctx.commitLoop.append(this, records, encoded);
    }

    /**
     * Reads acknowledged records from {@code fromOffset}: at most {@code maxRecords}, and at most
     * {@code maxBytes} of payload unless the first record alone is larger (it is still returned,
     * so a reader always makes progress). Returns an empty list at the end of the log. Reads do
     * blocking positional I/O (usually served from the page cache); call them off event loops.
     *
     * @throws StoreException {@code OFFSET_OUT_OF_RANGE} below {@link #startOffset()},
     *     {@code RECORD_CORRUPTED} ({@link RecordCorruptedException}) if {@code fromOffset} is
     *     quarantined, {@code LOG_NOT_FOUND} if the log was deleted
     */
    public List<StoredRecord> read(long fromOffset, int maxRecords, long maxBytes) {
        if (maxRecords < 1 || maxBytes < 1) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "maxRecords and maxBytes must be positive");
        }
        checkNotDeleted();
        if (fromOffset < startOffset) {
            throw outOfRange(fromOffset);
        }
        List<StoredRecord> out = new ArrayList<>(Math.min(maxRecords, 256));
        List<Segment> snapshot = segments;
        int i = segmentIndex(snapshot, fromOffset);
        long from = fromOffset;
        long bytes = 0;
        try {
            for (; i >= 0 && i < snapshot.size() && out.size() < maxRecords && bytes <= maxBytes; i++) {
                Segment s = snapshot.get(i);
                bytes += s.read(from, maxRecords, maxBytes - bytes, ctx.readCipher(), out);
                long next = out.isEmpty() ? from : out.get(out.size() - 1).offset() + 1;
                if (next < s.durable().nextOffset()) {
                    break;
                }
                from = next;
            }
        } catch (ClosedChannelException e) {
            checkNotDeleted();
            if (fromOffset < startOffset) {
                throw outOfRange(fromOffset);
            }
            throw new StoreException(StoreException.Kind.IO_ERROR, "log '" + name + "': a segment closed during the read", e);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO_ERROR, "log '" + name + "': read failed: " + e.getMessage(), e);
        }
        return out;
    }

    private static int segmentIndex(List<Segment> list, long offset) {
        int lo = 0;
        int hi = list.size() - 1;
        int found = list.isEmpty() ? -1 : 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (list.get(mid).baseOffset() <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private StoreException outOfRange(long offset) {
        return new StoreException(StoreException.Kind.OFFSET_OUT_OF_RANGE, "log '" + name + "': offset " + offset
                + " is below the start offset " + startOffset + " (released)");
    }

    private void checkNotDeleted() {
        if (deleted) {
            throw new StoreException(StoreException.Kind.LOG_NOT_FOUND, "log '" + name + "' was deleted");
        }
    }

    /**
     * Releases every record below {@code offset} (the low-water mark of its subscriptions):
     * reads below it fail from now on and whole segments below it are deleted in the background.
     * The start offset never moves backwards and never past the end of the log.
     */
    public void releaseBelow(long offset) {
        checkNotDeleted();
        synchronized (this) {
            long target = Math.min(offset, durableEnd);
            if (target <= startOffset) {
                return;
            }
            startOffset = target;
        }
        ctx.commitLoop.submitTask(() -> {
            applyRetention(RetentionPolicy.UNLIMITED);
            return null;
        });
    }

    // ---- commit thread ----

    boolean isDeleted() {
        return deleted;
    }

    long nextOffset() {
        return nextOffset;
    }

    void advanceNextOffset() {
        nextOffset++;
    }

    /** The segment new records go to, or null if a new one must be rolled first. */
    Segment writableSegment(int recordLength) {
        List<Segment> list = segments;
        if (list.isEmpty()) {
            return null;
        }
        Segment last = list.get(list.size() - 1);
        if (!last.acceptsAppends()) {
            return null;
        }
        boolean hasRecords = last.writeNextOffset() > last.baseOffset();
        if (hasRecords && last.writePosition() + recordLength + RecordFormat.HEADER_BYTES > ctx.config.segmentBytes()) {
            return null;
        }
        return last;
    }

    /** The last segment, which may need finishing before a roll; null if there is none. */
    Segment lastSegment() {
        List<Segment> list = segments;
        return list.isEmpty() ? null : list.get(list.size() - 1);
    }

    /**
     * Creates the next segment with a fresh data key: the wrapped key is made durable in the key
     * file first, then the segment file, then the directory entry. The previous segment must be
     * finished already. An empty previous segment (left by a failed write) is replaced.
     */
    Segment roll() throws IOException {
        long base = nextOffset;
        List<Segment> list = new ArrayList<>(segments);
        Segment replaced = null;
        if (!list.isEmpty() && list.get(list.size() - 1).baseOffset() == base) {
            replaced = list.remove(list.size() - 1);
        }
        List<LogManifest.Entry> entries = new ArrayList<>(manifest.entries());
        Set<Integer> taken = new HashSet<>();
        for (LogManifest.Entry e : entries) {
            if (e.base() != base) {
                taken.add(e.key().keyId());
            }
        }
        int keyId;
        do {
            keyId = ctx.config.random().nextInt();
        } while (taken.contains(keyId));
        DataKey dataKey = DataKey.generate(ctx.config.random(), keyId);
        WrappedDataKey wrapped = ctx.wrapper.wrap(ctx.keyring().current(), dataKey, logId, base);
        // the segment being left is finished: the manifest records where it ends and how long it is
        if (!list.isEmpty()) {
            Segment previous = list.get(list.size() - 1);
            for (int i = 0; i < entries.size(); i++) {
                LogManifest.Entry e = entries.get(i);
                if (e.base() == previous.baseOffset() && e.isOpen()) {
                    entries.set(i, e.finished(previous.durable().nextOffset(), previous.durable().position()));
                }
            }
        }
        // an entry at this base holds no durable record (base is the next offset): an empty
        // segment left by a failed write, or a creation that failed after the manifest took it
        entries.removeIf(e -> e.base() == base);
        long previousEnd = list.isEmpty() ? -1 : list.get(list.size() - 1).durable().nextOffset();
        // every offset handed out so far is below base: earlier reservations end there, and the
        // new segment's reservation covers what comes next
        for (int i = 0; i < entries.size(); i++) {
            LogManifest.Entry e = entries.get(i);
            if (e.limit() > base) {
                entries.set(i, e.withLimit(Math.max(base, e.isOpen() ? e.base() : e.end())));
            }
        }
        entries.add(new LogManifest.Entry(base, base + reservation(ctx.config), LogManifest.OPEN, 0, wrapped));
        writeManifest(manifest.withEntries(entries));
        if (replaced != null) {
            replaced.close();
            Files.deleteIfExists(replaced.path());
            replaced.key().dataKey().destroy();
        }
        Path file = dir.resolve(Segment.fileName(base));
        Segment segment;
        try {
            segment = Segment.create(ctx.config.fileLayer(), file, name,
                    new SegmentKey(logId, base, dataKey), ctx.config.clock().millis(), maxRecordLength(ctx.config),
                    ctx.config.indexInterval(), q -> reportQuarantine(file, q));
        } catch (IOException | RuntimeException e) {
            dataKey.destroy();
            throw e;
        }
        ctx.config.fileLayer().syncDirectory(dir);
        list.add(segment);
        segments = List.copyOf(list);
        if (previousEnd >= 0 && base > previousEnd) {
            // offsets of failed writes were skipped: subscriptions move past them now
            settleRange(previousEnd, base);
        }
        return segment;
    }

    /** The first offset the active segment may not take (its reservation ends there). */
    long segmentLimit() {
        List<LogManifest.Entry> entries = manifest.entries();
        return entries.isEmpty() ? nextOffset : entries.get(entries.size() - 1).limit();
    }

    private void writeManifest(LogManifest next) throws IOException {
        manifest = next.write(ctx.config.fileLayer(), keyFile, MetadataMac.derive(ctx.keyring().current(),
                LogManifest.PURPOSE));
    }

    /** Records written with any sealer, or none, stay readable. */
    static int maxRecordLength(StoreConfig config) {
        return config.maxRecordBytes() + RecordFormat.OVERHEAD + RecordSealer.MAX_SEAL_BYTES;
    }

    void reportQuarantine(Path file, Segment.Quarantine q) {
        ctx.config.listener().onQuarantine(name, file, q.offsets(), q.reason());
    }

    /** Publishes the durable end after a successful force. */
    void publishDurable() {
        Segment last = lastSegment();
        if (last != null) {
            durableEnd = Math.max(durableEnd, last.durable().nextOffset());
        }
    }


    /**
     * Makes the start offset durable and deletes finished segments that lie wholly below it or
     * outside the retention policy. The last segment always stays, so the log's end offset
     * survives restarts.
     */
    void applyRetention(RetentionPolicy policy) throws IOException {
        if (deleted) {
            return;
        }
        List<Segment> list = segments;
        if (list.size() < 2) {
            persistStart(startOffset);
            return;
        }
        long now = ctx.config.clock().millis();
        long total = 0;
        for (Segment s : list) {
            total += s.durable().position();
        }
        int drop = 0;
        long newStart = startOffset;
        for (int i = 0; i < list.size() - 1; i++) {
            Segment s = list.get(i);
            Segment next = list.get(i + 1);
            boolean released = s.durable().nextOffset() <= startOffset;
            boolean tooOld = policy.maxAge() != null && now - next.header().createdMillis() > policy.maxAge().toMillis();
            boolean tooBig = policy.maxBytes() > 0 && total > policy.maxBytes();
            if (!(released || tooOld || tooBig)) {
                break;
            }
            drop++;
            total -= s.durable().position();
            newStart = Math.max(newStart, next.baseOffset());
        }
        if (drop == 0) {
            persistStart(startOffset);
            return;
        }
        List<Segment> dropped = list.subList(0, drop);
        Set<Long> bases = new HashSet<>();
        dropped.forEach(s -> bases.add(s.baseOffset()));
        synchronized (this) {
            startOffset = Math.max(startOffset, newStart);
        }
        List<LogManifest.Entry> kept = new ArrayList<>(manifest.entries());
        long lastBase = kept.isEmpty() ? -1 : kept.get(kept.size() - 1).base();
        kept.removeIf(e -> bases.contains(e.base())
                || (e.base() != lastBase && e.isVacant() && e.end() <= startOffset));
        writeManifest(new LogManifest(logId, name, manifest.sequence(), startOffset, manifest.clean(), manifest.lost(),
                kept, false, manifest.kekId()));
        segments = List.copyOf(list.subList(drop, list.size()));
        for (Segment s : dropped) {
            s.close();
            Files.deleteIfExists(s.path());
            s.key().dataKey().destroy();
        }
        ctx.config.fileLayer().syncDirectory(dir);
        ctx.config.listener().onSegmentsDeleted(name, drop, startOffset);
    }

    /** Writes the start offset to the manifest if it moved, so released records stay released after a restart. */
    private void persistStart(long start) throws IOException {
        if (start > manifest.startOffset()) {
            writeManifest(manifest.withStart(start));
        }
    }

    /**
     * Moves every data key wrapped by an older KEK to the current one, rewriting only the key
     * file.
     *
     * @return how many keys were rewrapped
     */
    int rewrap() throws IOException {
        if (deleted) {
            return 0;
        }
        String current = ctx.keyring().current().id();
        List<LogManifest.Entry> entries = new ArrayList<>(manifest.entries().size());
        int moved = 0;
        for (LogManifest.Entry e : manifest.entries()) {
            WrappedDataKey k = e.key();
            if (k.kekId().equals(current)) {
                entries.add(e);
                continue;
            }
            DataKey dataKey = ctx.wrapper.unwrap(ctx.keyring(), k, logId, "log '" + name + "' segment " + k.segmentBase());
            try {
                entries.add(e.withKey(ctx.wrapper.wrap(ctx.keyring().current(), dataKey, logId, k.segmentBase())));
            } finally {
                dataKey.destroy();
            }
            moved++;
        }
        if (moved > 0 || !current.equals(manifest.kekId())) {
            writeManifest(new LogManifest(logId, name, manifest.sequence(), manifest.startOffset(), manifest.clean(),
                    manifest.lost(), entries, false, manifest.kekId()));
        }
        return moved;
    }

    /** KEK ids that still wrap at least one of this log's data keys. */
    Set<String> kekIdsInUse() {
        Set<String> ids = new HashSet<>();
        if (manifest.kekId() != null) {
            ids.add(manifest.kekId());
        }
        for (LogManifest.Entry e : manifest.entries()) {
            ids.add(e.key().kekId());
        }
        return ids;
    }

    /**
     * Deletes the log so that its data cannot be recovered: the directory moves to the trash,
     * then the key file (every wrapped data key) is deleted durably, then the segment files.
     * Once the key file is gone, copies of the segments are ciphertext under destroyed keys.
     */
    void delete(IoAction forget) throws IOException {
        deleted = true;
        Path trash = ctx.trashDir.resolve(java.util.HexFormat.of().formatHex(logId));
        Files.move(dir, trash, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        ctx.config.fileLayer().syncDirectory(ctx.logsDir);
        ctx.config.fileLayer().syncDirectory(ctx.trashDir);
        AtomicFiles.deleteDurably(ctx.config.fileLayer(), keyFile);
        for (Segment s : segments) {
            s.close();
            s.key().dataKey().destroy();
        }
        // the files go first (that frees space, even on a full disk); the trash directory stays
        // until the store state has forgotten the log, so a crash at any point here is finished
        // on the next open and never leaves a listed log without a trace
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(trash)) {
            for (Path f : files) {
                Files.delete(f);
            }
        }
        if (forget.run()) {
            Store.deleteTree(trash);
            ctx.config.fileLayer().syncDirectory(ctx.trashDir);
        }
    }

    /** A step that may fail with an I/O error, or be put off (false). */
    @FunctionalInterface
    interface IoAction {
        boolean run() throws IOException;
    }

    /** The end of the records written durably: what the store state checkpoints. */
    long recordedEnd() {
        Segment last = lastSegment();
        return last == null ? startOffset : last.durable().nextOffset();
    }

    /**
     * Acknowledges the skipped offsets ({@link #skippedRanges()}) for every subscription, so
     * that cursors move past them; nothing to deliver is there.
     */
    void settleSkipped() {
        for (org.securebroker.store.record.OffsetRange r : skippedRanges()) {
            settleRange(r.from(), r.to());
        }
    }

    private void settleRange(long from, long to) {
        for (org.securebroker.store.subscription.SubscriptionSnapshot sub : subscriptions.list()) {
            if (to > sub.committed()) {
                subscriptions.ackRange(sub.name(), from, to);
            }
        }
    }

    /** Finishes the active segment on a clean shutdown and closes every file. */
    void close(boolean finish) throws IOException {
        try {
            if (finish && !deleted) {
                finishCleanly();
            }
        } finally {
            for (Segment s : segments) {
                s.close();
            }
        }
    }

    /**
     * Finishes the last segment and records in the manifest exactly where the log ends (the
     * clean-shutdown record): the next open then finds no torn tail and takes nothing from the
     * last segment as unacknowledged, and reservations shrink to what was handed out.
     */
    private void finishCleanly() throws IOException {
        Segment last = lastSegment();
        if (last != null && !last.isFinished()) {
            last.finish();
        }
        List<LogManifest.Entry> entries = new ArrayList<>(manifest.entries());
        for (int i = 0; i < entries.size(); i++) {
            LogManifest.Entry e = entries.get(i);
            if (e.isOpen()) {
                if (last == null || e.base() != last.baseOffset()) {
                    return;
                }
                e = e.finished(last.durable().nextOffset(), last.durable().position());
            }
            if (i == entries.size() - 1) {
                e = e.withLimit(Math.max(e.end(), nextOffset));
            }
            entries.set(i, e);
        }
        writeManifest(new LogManifest(logId, name, manifest.sequence(), manifest.startOffset(), true, manifest.lost(),
                entries, false, manifest.kekId()));
    }

    List<Segment> segments() {
        return segments;
    }

    @Override
    public String toString() {
        return "Log[" + name + ", start=" + startOffset + ", end=" + durableEnd + "]";
    }
}
