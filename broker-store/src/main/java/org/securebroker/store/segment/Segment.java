package org.securebroker.store.segment;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.failure.RecordCorruptedException;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.crypto.RecordCipher;
import org.securebroker.store.crypto.SegmentKey;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.Closeables;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;

/**
 * One segment file of a log: a header, then records with consecutive offsets, ending with an end
 * marker once the segment is <em>finished</em>: it takes no more appends.
 *
 * <p>Thread-safety: the writer methods ({@link #appended}, {@link #publishDurable},
 * {@link #rewindToDurable}, {@link #finish}) are called by one thread, the store's commit thread.
 * {@link #read} may be called by any number of threads concurrently; it only sees records up to
 * the last published {@link Durable} mark, that is, records whose fsync completed.
 */
public final class Segment implements Closeable {

    /** The durable end of a segment: its byte position and the next offset. */
    public record Durable(long position, long nextOffset) {
    }

    /** Records that must never be served, and why. */
    public record Quarantine(OffsetRange offsets, long position, long length, String reason) {
    }

    /** What recovering a segment found and did. */
    public record Recovered(Segment segment, long truncatedBytes, int truncatedRecords, List<Quarantine> quarantined) {

        /** {@code quarantined} is kept as an unmodifiable copy (no copy at all if it already is one). */
        public Recovered {
            quarantined = List.copyOf(quarantined);
        }
    }

    private static final int READ_CHUNK = 64 * 1024;

    private final String logName;
    private final Path path;
    private final SegmentHeader header;
    private final SegmentKey key;
    private final StorageChannel channel;
    private final SparseIndex index;
    private final int maxRecordLength;
    private final Consumer<Quarantine> quarantineListener;

    private volatile Durable durable;
    private volatile List<Quarantine> quarantine = List.of();

    private long writePosition;
    private long writeNextOffset;
    private boolean acceptsAppends;
    private boolean finished;

    private Segment(String logName, Path path, SegmentHeader header, SegmentKey key, StorageChannel channel,
                    SparseIndex index, int maxRecordLength, Consumer<Quarantine> quarantineListener,
                    Durable durable, boolean acceptsAppends) {
        this.logName = logName;
        this.path = path;
        this.header = header;
        this.key = key;
        this.channel = channel;
        this.index = index;
        this.maxRecordLength = maxRecordLength;
        this.quarantineListener = quarantineListener;
        this.durable = durable;
        this.writePosition = durable.position();
        this.writeNextOffset = durable.nextOffset();
        this.acceptsAppends = acceptsAppends;
        this.finished = !acceptsAppends;
    }

    /** The file name of the segment starting at {@code baseOffset}. */
    public static String fileName(long baseOffset) {
        return String.format("%020d.seg", baseOffset);
    }

    /**
     * Parses a segment file name.
     *
     * @return the base offset, or -1 if the name is not a segment file name
     */
    public static long parseFileName(String name) {
        if (name.length() != 24 || !name.endsWith(".seg")) {
            return -1;
        }
        for (int i = 0; i < 20; i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return -1;
            }
        }
        try {
            return Long.parseLong(name.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Creates a new, empty segment file and forces it. The caller syncs the directory before any
     * acknowledgement depends on the file.
     */
    public static Segment create(FileLayer layer, Path file, String logName, SegmentKey key, long createdMillis,
                                 int maxRecordLength, int indexInterval, Consumer<Quarantine> quarantineListener)
            throws IOException {
        SegmentHeader header = new SegmentHeader(key.logId(), key.segmentBase(), key.dataKey().id(), createdMillis);
        AtomicFiles.createOwnerOnly(file);
        StorageChannel channel = layer.open(file, false);
        try {
            channel.writeFully(header.encode(), 0);
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(channel);
            Files.deleteIfExists(file);
            throw e;
        }
        return new Segment(logName, file, header, key, channel, new SparseIndex(indexInterval), maxRecordLength,
                quarantineListener, new Durable(SegmentHeader.BYTES, key.segmentBase()), true);
    }

    /**
     * Scans an existing segment and brings it to a consistent, finished state. Bad regions in the
     * acknowledged prefix are quarantined; a bad region at the end of the last segment, past
     * every offset that a later record says was durable, is a torn tail and is truncated.
     *
     * @param nextBase the base offset of the following segment, or -1 if this is the last one
     */
    public static Recovered recover(StorageChannel channel, Path file, String logName, SegmentHeader header,
                                    SegmentKey key, long nextBase, int maxRecordLength, int indexInterval,
                                    Consumer<Quarantine> quarantineListener) throws IOException {
        return recover(channel, file, logName, header, key, nextBase, maxRecordLength, indexInterval,
                quarantineListener, false);
    }

    /**
     * As {@link #recover(StorageChannel, Path, String, SegmentHeader, SegmentKey, long, int, int, Consumer)};
     * with {@code dryRun} the file is not changed (no truncation, no end marker): what recovery
     * would make of it, for deciding before anything is cut.
     */
    public static Recovered recover(StorageChannel channel, Path file, String logName, SegmentHeader header,
                                    SegmentKey key, long nextBase, int maxRecordLength, int indexInterval,
                                    Consumer<Quarantine> quarantineListener, boolean dryRun) throws IOException {
        long size = channel.size();
        SparseIndex index = new SparseIndex(indexInterval);
        FileWindow window = new FileWindow(channel, size, Math.max(1 << 20, maxRecordLength));
        SegmentScanner scanner = new SegmentScanner(window, key.segmentBase(), key.dataKey().id(), maxRecordLength, index);
        SegmentScanner.Result scan = scanner.scan();

        boolean last = nextBase < 0;
        List<Quarantine> quarantined = new ArrayList<>();
        long nextOffset = scan.nextOffset();
        long end = size;
        long truncatedBytes = 0;
        int truncatedRecords = 0;
        for (SegmentScanner.BadRegion region : scan.badRegions()) {
            if (!region.runsToEnd()) {
                addQuarantine(quarantined, region.firstOffset(), region.endOffset(), region.position(), region.length(),
                        region.reason());
            } else if (!last) {
                addQuarantine(quarantined, region.firstOffset(), Math.max(region.firstOffset(), nextBase),
                        region.position(), region.length(), region.reason() + " in a finished segment");
                nextOffset = Math.max(region.firstOffset(), nextBase);
            } else if (region.firstOffset() >= scan.maxSynced()) {
                truncatedRecords = scanner.countRecordStarts(region.position());
                truncatedBytes = region.length();
                end = region.position();
                nextOffset = region.firstOffset();
            } else {
                addQuarantine(quarantined, region.firstOffset(), scan.maxSynced(), region.position(), region.length(),
                        region.reason() + " in the acknowledged prefix");
                nextOffset = scan.maxSynced();
            }
        }
        if (!last && !scan.finished() && nextOffset < nextBase) {
            addQuarantine(quarantined, nextOffset, nextBase, end, 0, "the segment ends before the next one begins");
            nextOffset = nextBase;
        }

        boolean finishNow = last && !scan.finished() && !dryRun;
        if (truncatedBytes > 0 && !dryRun) {
            channel.truncate(end);
        }
        if (finishNow) {
            ByteBuffer marker = ByteBuffer.allocate(RecordFormat.HEADER_BYTES);
            RecordFormat.writeEndMarker(marker, key.dataKey().id(), nextOffset);
            channel.writeFully(marker.flip(), end);
            end += RecordFormat.HEADER_BYTES;
        }
        if ((truncatedBytes > 0 && !dryRun) || finishNow) {
            channel.force(true);
        }
        Segment segment = new Segment(logName, file, header, key, channel, index, maxRecordLength, quarantineListener,
                new Durable(Math.max(end, scan.validEnd()), nextOffset), false);
        segment.quarantine = List.copyOf(quarantined);
        return new Recovered(segment, truncatedBytes, truncatedRecords, segment.quarantine);
    }

    /**
     * Where the records of a segment file end, by a scan that needs no key (record headers are
     * not encrypted): for a file the log cannot use, to know which offsets it held.
     */
    public static long scannedEnd(StorageChannel channel, SegmentHeader header, int maxRecordLength) throws IOException {
        FileWindow window = new FileWindow(channel, channel.size(), Math.max(1 << 20, maxRecordLength));
        return new SegmentScanner(window, header.baseOffset(), header.keyId(), maxRecordLength,
                new SparseIndex(Integer.MAX_VALUE)).scan().nextOffset();
    }

    private static void addQuarantine(List<Quarantine> list, long from, long to, long position, long length, String reason) {
        if (to > from || length > 0) {
            list.add(new Quarantine(new OffsetRange(from, Math.max(from, to)), position, length, reason));
        }
    }

    public Path path() {
        return path;
    }

    public long baseOffset() {
        return key.segmentBase();
    }

    public SegmentHeader header() {
        return header;
    }

    public SegmentKey key() {
        return key;
    }

    public Durable durable() {
        return durable;
    }

    public List<Quarantine> quarantined() {
        return quarantine;
    }

    /** Whether the segment holds no record and no quarantined offset. */
    public boolean isEmpty() {
        Durable d = durable;
        return d.nextOffset() == key.segmentBase() && quarantine.stream().allMatch(q -> q.offsets().isEmpty());
    }

    // ---- writer side (commit thread) ----

    public boolean acceptsAppends() {
        return acceptsAppends;
    }

    public long writePosition() {
        return writePosition;
    }

    public long writeNextOffset() {
        return writeNextOffset;
    }

    public StorageChannel channel() {
        return channel;
    }

    /** Notes a record encoded for this segment at the current write position. */
    public void appended(long offset, int length) {
        if (offset != writeNextOffset) {
            throw new IllegalStateException("offset " + offset + " appended where " + writeNextOffset + " was due");
        }
        index.offer(offset - key.segmentBase(), writePosition);
        writePosition += length;
        writeNextOffset = offset + 1;
    }

    /** Publishes everything written so far as durable; call only after a successful force. */
    public void publishDurable() {
        durable = new Durable(writePosition, writeNextOffset);
    }

    /**
     * Forgets writes that failed: truncates the file back to the durable end and takes no more
     * appends, so the positions (and nonces) of the failed records are never reused.
     */
    public void rewindToDurable() throws IOException {
        Durable d = durable;
        acceptsAppends = false;
        finished = false;
        writePosition = d.position();
        writeNextOffset = d.nextOffset();
        channel.truncate(d.position());
        channel.force(true);
    }

    /**
     * Writes the end marker after the records written so far: the segment is finished and takes
     * no more appends. The caller forces the file and then calls {@link #publishDurable()}; if
     * the write fails, it calls {@link #rewindToDurable()}.
     */
    public void writeEndMarker() throws IOException {
        acceptsAppends = false;
        ByteBuffer marker = ByteBuffer.allocate(RecordFormat.HEADER_BYTES);
        RecordFormat.writeEndMarker(marker, key.dataKey().id(), writeNextOffset);
        channel.writeFully(marker.flip(), writePosition);
        writePosition += RecordFormat.HEADER_BYTES;
        finished = true;
    }

    /** Finishes the segment: writes the end marker, forces it and publishes it. */
    public void finish() throws IOException {
        writeEndMarker();
        channel.force(true);
        publishDurable();
    }

    /** Whether the segment ends with its end marker: it takes no more appends. */
    public boolean isFinished() {
        return finished;
    }

    /** Whether any record was ever written to this segment in this process or before. */
    public boolean hasRecords() {
        return writeNextOffset > key.segmentBase() || !quarantine.isEmpty();
    }

    // ---- reader side (any thread) ----

    /**
     * Appends durable records from {@code from} to {@code out}, stopping at {@code maxRecords}
     * records in {@code out}, at {@code maxBytes} of payload (a first record is always returned
     * whatever its size), at the segment's durable end, or before a quarantined range.
     *
     * <p>A record that fails its checksum or tag here is quarantined on the spot (and reported to
     * the quarantine listener), with the damaged bytes up to the next valid record.
     *
     * @return the payload bytes added
     * @throws RecordCorruptedException if {@code from} itself is quarantined, or becomes so
     */
    public long read(long from, int maxRecords, long maxBytes, RecordCipher cipher, List<StoredRecord> out)
            throws IOException {
        Durable d = durable;
        if (from >= d.nextOffset() || out.size() >= maxRecords) {
            return 0;
        }
        Quarantine hit = quarantineCovering(from);
        if (hit != null) {
            throw new RecordCorruptedException(logName, hit.offsets(), hit.reason());
        }
        long entry = index.floorEntry(from - key.segmentBase());
        long position = entry < 0 ? SegmentHeader.BYTES : SparseIndex.position(entry);
        long expected = entry < 0 ? key.segmentBase() : key.segmentBase() + SparseIndex.relativeOffset(entry);
        long added = 0;
        ByteBuffer chunk = ByteBuffer.allocate(0);
        long chunkStart = position;
        while (position < d.position() && out.size() < maxRecords && expected < d.nextOffset()) {
            Quarantine region = quarantineAt(position);
            if (region != null) {
                if (region.offsets().to() > from && !region.offsets().isEmpty()) {
                    break;
                }
                position += region.length();
                expected = Math.max(expected, region.offsets().to());
                continue;
            }
            int at = (int) (position - chunkStart);
            if (at + RecordFormat.HEADER_BYTES > chunk.limit()) {
                chunk = readChunk(position, READ_CHUNK, d.position());
                chunkStart = position;
                at = 0;
            }
            RecordFormat.Header h = RecordFormat.parseHeader(chunk, at, maxRecordLength);
            if (h != null && h.length() > chunk.limit() - at) {
                chunk = readChunk(position, Math.max(READ_CHUNK, h.length()), d.position());
                chunkStart = position;
                at = 0;
            }
            if (h == null || !RecordFormat.crcMatches(chunk, at, h) || h.keyId() != key.dataKey().id()) {
                long resumeAt = quarantineDamage(position, expected, d);
                Quarantine q = quarantineCovering(expected);
                if (q == null || q.offsets().to() > from) {
                    return stopAtDamage(q, expected, out, added);
                }
                position = resumeAt;
                expected = q.offsets().to();
                continue;
            }
            if (h.isEndMarker()) {
                break;
            }
            if (h.offset() != expected) {
                Quarantine gap = quarantineCovering(expected);
                if (gap == null || gap.offsets().to() != h.offset()) {
                    quarantineDamage(position, expected, d);
                    return stopAtDamage(quarantineCovering(expected), expected, out, added);
                }
                if (h.offset() > from) {
                    break;
                }
                expected = h.offset();
            }
            if (h.offset() < from) {
                position += h.length();
                expected++;
                continue;
            }
            int payloadLength = h.length() - RecordFormat.OVERHEAD;
            if (!out.isEmpty() && added + payloadLength > maxBytes) {
                break;
            }
            byte[] payload = cipher.decrypt(key, RecordFormat.VERSION, h.offset(), RecordFormat.body(chunk, at, h));
            if (payload == null) {
                Quarantine q = new Quarantine(new OffsetRange(h.offset(), h.offset() + 1), position, h.length(),
                        "the record fails authentication (altered, moved, or under another key)");
                addQuarantine(q);
                return stopAtDamage(q, h.offset(), out, added);
            }
            out.add(new StoredRecord(h.offset(), payload));
            added += payloadLength;
            position += h.length();
            expected++;
        }
        return added;
    }

    /**
     * Quarantines the damaged bytes at {@code position}, up to the next record that continues
     * the sequence at or after {@code expected}.
     *
     * @return the position reading may resume at
     */
    private long quarantineDamage(long position, long expected, Durable d) throws IOException {
        FileWindow window = new FileWindow(channel, d.position(), Math.max(1 << 20, maxRecordLength));
        SegmentScanner scanner = new SegmentScanner(window, key.segmentBase(), key.dataKey().id(), maxRecordLength,
                new SparseIndex(Integer.MAX_VALUE));
        long next = scanner.resync(position + 1, expected);
        long endOffset;
        long endPosition;
        if (next < 0) {
            endOffset = d.nextOffset();
            endPosition = d.position();
        } else {
            endOffset = scanner.offsetAt(next);
            endPosition = next;
        }
        addQuarantine(new Quarantine(new OffsetRange(expected, Math.max(expected, endOffset)), position,
                endPosition - position, "the record fails its checksum"));
        return endPosition;
    }

    private long stopAtDamage(Quarantine q, long offset, List<StoredRecord> out, long added) {
        if (out.isEmpty()) {
            OffsetRange range = q != null ? q.offsets() : new OffsetRange(offset, offset + 1);
            throw new RecordCorruptedException(logName, range, q != null ? q.reason() : "the record is damaged");
        }
        return added;
    }

    private synchronized void addQuarantine(Quarantine q) {
        for (Quarantine existing : quarantine) {
            if (existing.position() == q.position() || existing.offsets().contains(q.offsets().from())) {
                return;
            }
        }
        List<Quarantine> copy = new ArrayList<>(quarantine);
        copy.add(q);
        quarantine = List.copyOf(copy);
        quarantineListener.accept(q);
    }

    private ByteBuffer readChunk(long position, int length, long limit) throws IOException {
        int wanted = (int) Math.min(length, limit - position);
        ByteBuffer buf = ByteBuffer.allocate(Math.max(wanted, 0));
        channel.readFully(buf, position);
        return buf.flip();
    }

    private Quarantine quarantineCovering(long offset) {
        for (Quarantine q : quarantine) {
            if (q.offsets().contains(offset)) {
                return q;
            }
        }
        return null;
    }

    /** The quarantined region of bytes starting at {@code position}, if any. */
    private Quarantine quarantineAt(long position) {
        for (Quarantine q : quarantine) {
            if (q.position() == position && q.length() > 0) {
                return q;
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "Segment[" + logName + "/" + path.getFileName() + ", durable=" + durable + "]";
    }
}
