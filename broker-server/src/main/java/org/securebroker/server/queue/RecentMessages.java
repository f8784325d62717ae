package org.securebroker.server.queue;

/**
 * The most recently stored messages of a queue, already decrypted and decoded, so that consumers
 * who keep up are served without reading and decrypting the store again. Only messages whose
 * append completed (fsynced) enter; they form one contiguous offset range held in a ring, the
 * oldest evicted first beyond {@code capacity} messages or {@code maxBytes}.
 *
 * <p>Thread-safety: not thread-safe; owned by the queue's serial executor.
 */
final class RecentMessages {

    private final MessageEnvelope[] ring;
    private final int[] sizes;
    private final long maxBytes;
    private long first = -1;
    private long end;
    private long bytes;

    RecentMessages(int capacity, long maxBytes) {
        this.ring = new MessageEnvelope[capacity];
        this.sizes = new int[capacity];
        this.maxBytes = maxBytes;
    }

    /** Adds a stored message; a gap in the offsets (after a failure) starts over. */
    void add(long offset, MessageEnvelope envelope, int size) {
        if (first >= 0 && offset != end) {
            clear();
        }
        if (size > maxBytes) {
            return;
        }
        if (first < 0) {
            first = offset;
            end = offset;
        }
        if (end - first == ring.length) {
            evictOldest();
        }
        int slot = slot(offset);
        ring[slot] = envelope;
        sizes[slot] = size;
        end = offset + 1;
        if (first < 0) {
            first = offset;
        }
        bytes += size;
        while (bytes > maxBytes) {
            evictOldest();
        }
    }

    /** The message at {@code offset}, or null if it is not held. */
    MessageEnvelope get(long offset) {
        if (first < 0 || offset < first || offset >= end) {
            return null;
        }
        return ring[slot(offset)];
    }

    private void evictOldest() {
        int slot = slot(first);
        bytes -= sizes[slot];
        ring[slot] = null;
        first++;
        if (first == end) {
            first = -1;
        }
    }

    private int slot(long offset) {
        return (int) Math.floorMod(offset, (long) ring.length);
    }

    void clear() {
        java.util.Arrays.fill(ring, null);
        first = -1;
        bytes = 0;
    }
}
