package org.securebroker.store.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a segment file from its header to its end, checking every record's magic, version,
 * length, CRC, key id and offset sequence, and collects the valid records (into the index) and
 * the bad regions between them. After a bad region it resynchronizes on the next position
 * where a valid record continues the sequence. It decides nothing: {@link SegmentRecovery}
 * classifies the regions.
 *
 * <p>Thread-safety: not thread-safe; one scan per instance.
 */
final class SegmentScanner {

    /** A range of bytes that holds no valid record, and the offsets it should have held. */
    record BadRegion(long position, long length, long firstOffset, long endOffset, String reason) {
        /** Whether the region runs to the end of the file, so its end offset is unknown. */
        boolean runsToEnd() {
            return endOffset < 0;
        }
    }

    record Result(long validEnd, long nextOffset, long maxSynced, boolean finished, long endMarkerPosition,
                  int records, List<BadRegion> badRegions) {
    }

    private final FileWindow window;
    private final long baseOffset;
    private final int keyId;
    private final int maxRecordLength;
    private final SparseIndex index;

    SegmentScanner(FileWindow window, long baseOffset, int keyId, int maxRecordLength, SparseIndex index) {
        this.window = window;
        this.baseOffset = baseOffset;
        this.keyId = keyId;
        this.maxRecordLength = maxRecordLength;
        this.index = index;
    }

    Result scan() throws IOException {
        long size = window.fileSize();
        long position = SegmentHeader.BYTES;
        long expected = baseOffset;
        long maxSynced = baseOffset;
        long validEnd = position;
        boolean finished = false;
        long endMarkerPosition = -1;
        int records = 0;
        List<BadRegion> bad = new ArrayList<>();
        while (position < size) {
            RecordFormat.Header header = validAt(position);
            if (header != null && header.offset() == expected) {
                if (header.isEndMarker()) {
                    finished = true;
                    endMarkerPosition = position;
                    position += header.length();
                    validEnd = position;
                    if (position < size) {
                        bad.add(new BadRegion(position, size - position, expected, expected, "bytes after the end marker"));
                    }
                    break;
                }
                index.offer(expected - baseOffset, position);
                maxSynced = Math.max(maxSynced, header.synced());
                records++;
                expected++;
                position += header.length();
                validEnd = position;
                continue;
            }
            if (header != null && !header.isEndMarker()) {
                // a valid record of another offset: if the sequence goes on right after it, it is
                // one record out of place (moved or swapped) and only it is withheld
                RecordFormat.Header after = position + header.length() < size ? validAt(position + header.length()) : null;
                long afterOffset = after == null ? -1 : after.offset();
                if (afterOffset == expected + 1 || (after == null && position + header.length() == size)) {
                    bad.add(new BadRegion(position, header.length(), expected, expected + 1,
                            "a record of offset " + header.offset() + " is where offset " + expected
                                    + " belongs (moved or swapped)"));
                    expected++;
                    position += header.length();
                    continue;
                }
                if (afterOffset == expected) {
                    bad.add(new BadRegion(position, header.length(), expected, expected,
                            "a record of offset " + header.offset() + " was inserted before offset " + expected));
                    position += header.length();
                    continue;
                }
            }
            if (header != null && header.offset() > expected) {
                bad.add(new BadRegion(position, 0, expected, header.offset(), "offsets missing from the sequence"));
                expected = header.offset();
                continue;
            }
            String reason = header == null ? "damaged record (bad header, length or checksum)" : "record out of sequence";
            long next = resync(position + 1, expected);
            if (next < 0) {
                bad.add(new BadRegion(position, size - position, expected, -1, reason));
                break;
            }
            RecordFormat.Header resumed = validAt(next);
            bad.add(new BadRegion(position, next - position, expected, resumed.offset(), reason));
            expected = resumed.offset();
            position = next;
        }
        return new Result(validEnd, expected, maxSynced, finished, endMarkerPosition, records, bad);
    }

    /** Counts the record headers that appear one after another from {@code position}, complete or not. */
    int countRecordStarts(long position) throws IOException {
        int count = 0;
        long p = position;
        long size = window.fileSize();
        while (size - p >= 3) {
            int at = window.load(p, (int) Math.min(RecordFormat.HEADER_BYTES, size - p));
            if (at < 0) {
                break;
            }
            ByteBuffer buf = window.buffer();
            if (buf.getShort(at) != RecordFormat.MAGIC || buf.get(at + 2) != RecordFormat.VERSION) {
                break;
            }
            count++;
            if (size - p < RecordFormat.HEADER_BYTES) {
                break;
            }
            int length = buf.getInt(at + RecordFormat.LENGTH_AT);
            if (length < RecordFormat.HEADER_BYTES) {
                break;
            }
            p += length;
        }
        return count;
    }

    private RecordFormat.Header validAt(long position) throws IOException {
        int at = window.load(position, RecordFormat.HEADER_BYTES);
        if (at < 0) {
            return null;
        }
        RecordFormat.Header header = RecordFormat.parseHeader(window.buffer(), at, maxRecordLength);
        if (header == null || header.keyId() != keyId) {
            return null;
        }
        at = window.load(position, header.length());
        if (at < 0 || !RecordFormat.crcMatches(window.buffer(), at, header)) {
            return null;
        }
        return header;
    }

    /** The offset of the valid record at {@code position}, which {@link #resync} returned. */
    long offsetAt(long position) throws IOException {
        RecordFormat.Header header = validAt(position);
        if (header == null) {
            throw new IllegalStateException("no valid record at " + position);
        }
        return header.offset();
    }

    /**
     * @return the first position at or after {@code from} where a valid record (or end marker) with an
     *     offset of at least {@code expected} starts, or -1 if there is none
     */
    long resync(long from, long expected) throws IOException {
        long size = window.fileSize();
        for (long p = from; p + RecordFormat.HEADER_BYTES <= size; p++) {
            int at = window.load(p, RecordFormat.HEADER_BYTES);
            ByteBuffer buf = window.buffer();
            if (buf.getShort(at) != RecordFormat.MAGIC || buf.get(at + 2) != RecordFormat.VERSION) {
                continue;
            }
            RecordFormat.Header header = validAt(p);
            if (header != null && header.offset() >= expected) {
                return p;
            }
        }
        return -1;
    }
}
