package org.securebroker.server.queue;

import java.util.concurrent.atomic.AtomicLong;
import org.securebroker.server.message.MessageEnvelope;

/**
 * The most recently stored messages of a queue, already decrypted and decoded, so that consumers
 * who keep up, or catch up from a moderate backlog, are served without reading and decrypting the
 * store again. Only messages whose append completed (fsynced) enter; they form one contiguous
 * offset range in a ring that grows as needed. Memory is bounded twice: per queue, and by a
 * {@link Budget} shared by all queues; the oldest messages leave first.
 *
 * <p>Thread-safety: not thread-safe; owned by the queue's serial executor. The budget is shared
 * and thread-safe.
 */
final class RecentMessages {

    /** Bytes all queues together may keep. */
    static final class Budget {
        private final long limit;
        private final AtomicLong used = new AtomicLong();

        Budget(long limit) {
            this.limit = limit;
        }

        boolean tryReserve(long bytes) {
            while (true) {
                long current = used.get();
                if (current + bytes > limit) {
                    return false;
                }
                if (used.compareAndSet(current, current + bytes)) {
                    return true;
                }
            }
        }

        long limit() {
            return limit;
        }

        void release(long bytes) {
            used.addAndGet(-bytes);
        }

        long used() {
            return used.get();
        }
    }

    private static final int INITIAL_CAPACITY = 1024;

    private final Budget budget;
    private final long maxBytes;
    private MessageEnvelope[] ring = new MessageEnvelope[INITIAL_CAPACITY];
    private int[] sizes = new int[INITIAL_CAPACITY];
    private final int maxEntries;
    private long first = -1;
    private long end;
    private long bytes;

    RecentMessages(Budget budget, long maxBytes, int maxEntries) {
        this.budget = budget;
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
    }

    /** Adds a stored message; a gap in the offsets (after a failure) starts over. */
    void add(long offset, MessageEnvelope envelope, int size) {
        if (first >= 0 && offset != end) {
            clear();
        }
        if (size > maxBytes) {
            return;
        }
        while (bytes + size > maxBytes || !budget.tryReserve(size)) {
            if (first < 0) {
                return;
            }
            evictOldest();
        }
        if (first < 0) {
            first = offset;
            end = offset;
        }
        if (end - first == ring.length) {
            if (ring.length < maxEntries) {
                grow();
            } else {
                evictOldest();
                if (first < 0) {
                    first = offset;
                    end = offset;
                }
            }
        }
        int slot = slot(offset);
        ring[slot] = envelope;
        sizes[slot] = size;
        end = offset + 1;
        bytes += size;
    }

    /** The message at {@code offset}, or null if it is not held. */
    MessageEnvelope get(long offset) {
        if (first < 0 || offset < first || offset >= end) {
            return null;
        }
        return ring[slot(offset)];
    }

    private void grow() {
        int capacity = Math.min(maxEntries, ring.length * 2);
        MessageEnvelope[] bigger = new MessageEnvelope[capacity];
        int[] biggerSizes = new int[capacity];
        for (long o = first; o < end; o++) {
            int from = slot(o);
            int to = (int) Math.floorMod(o, (long) capacity);
            bigger[to] = ring[from];
            biggerSizes[to] = sizes[from];
        }
        ring = bigger;
        sizes = biggerSizes;
    }

    private void evictOldest() {
        int slot = slot(first);
        bytes -= sizes[slot];
        budget.release(sizes[slot]);
        ring[slot] = null;
        first++;
        if (first == end) {
            first = -1;
        }
    }

    private int slot(long offset) {
        return (int) Math.floorMod(offset, (long) ring.length);
    }

    /** Drops everything (the queue was deleted, or offsets jumped). */
    void clear() {
        while (first >= 0) {
            evictOldest();
        }
    }
}
