package org.securebroker.store.segment;

import java.util.Arrays;

/**
 * Maps offsets to file positions for every {@code interval}-th record of a segment; a read seeks
 * to the floor entry and scans forward. Derived from the segment, never stored.
 *
 * <p>Thread-safety: one writer, any number of concurrent readers. The writer publishes an entry
 * by a volatile write of the count after storing it; readers read the count before the array.
 */
public final class SparseIndex {

    private final int interval;
    private volatile long[] entries = new long[16];
    private volatile int count;
    private long lastIndexed = Long.MIN_VALUE;

    public SparseIndex(int interval) {
        this.interval = interval;
    }

    /** Offers a record; it is indexed if it is {@code interval} records past the last entry. */
    public void offer(long relativeOffset, long position) {
        if (lastIndexed != Long.MIN_VALUE && relativeOffset - lastIndexed < interval) {
            return;
        }
        if (relativeOffset > Integer.MAX_VALUE || position > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segment too large to index: offset " + relativeOffset + " position " + position);
        }
        long[] array = entries;
        int n = count;
        if (n == array.length) {
            array = Arrays.copyOf(array, n * 2);
            entries = array;
        }
        array[n] = (relativeOffset << 32) | position;
        count = n + 1;
        lastIndexed = relativeOffset;
    }

    /**
     * @return the entry of the indexed record with the greatest offset {@code <= relativeOffset}
     *     (decode it with {@link #position} and {@link #relativeOffset}), or -1 if there is none
     */
    public long floorEntry(long relativeOffset) {
        int n = count;
        long[] array = entries;
        int lo = 0;
        int hi = n - 1;
        long best = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long entryOffset = array[mid] >>> 32;
            if (entryOffset <= relativeOffset) {
                best = array[mid];
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    public static long position(long entry) {
        return entry & 0xFFFF_FFFFL;
    }

    public static long relativeOffset(long entry) {
        return entry >>> 32;
    }

    public int size() {
        return count;
    }
}
