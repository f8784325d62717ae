package org.securebroker.store.subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.securebroker.store.record.OffsetRange;

/**
 * The acknowledged offsets of one subscription: a committed cursor (everything below is acked)
 * and disjoint, non-adjacent ranges above it. Acking the offset at the cursor advances it over
 * every range that becomes contiguous.
 *
 * <p>Thread-safety: not thread-safe; {@link SubscriptionStore} guards it.
 */
final class AckSet {

    private long committed;
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    AckSet(long committed) {
        this.committed = committed;
    }

    long committed() {
        return committed;
    }

    /**
     * Marks {@code [from, to)} acknowledged.
     *
     * @return whether anything changed
     */
    boolean ack(long from, long to) {
        long start = Math.max(from, committed);
        if (start >= to) {
            return false;
        }
        Map.Entry<Long, Long> floor = ranges.floorEntry(start);
        if (floor != null && floor.getValue() >= to) {
            return false;
        }
        long newFrom = start;
        long newTo = to;
        if (floor != null && floor.getValue() >= start) {
            newFrom = floor.getKey();
            ranges.remove(floor.getKey());
        }
        Map.Entry<Long, Long> next = ranges.ceilingEntry(newFrom);
        while (next != null && next.getKey() <= newTo) {
            newTo = Math.max(newTo, next.getValue());
            ranges.remove(next.getKey());
            next = ranges.ceilingEntry(newFrom);
        }
        if (newFrom == committed) {
            committed = newTo;
        } else {
            ranges.put(newFrom, newTo);
        }
        return true;
    }

    /**
     * Moves the cursor to {@code position}: every offset below it counts as acknowledged, none at
     * or above it (acknowledgements there are forgotten), whether the cursor moves back or ahead.
     */
    void seek(long position) {
        committed = position;
        ranges.clear();
    }

    boolean isAcked(long offset) {
        if (offset < committed) {
            return true;
        }
        Map.Entry<Long, Long> floor = ranges.floorEntry(offset);
        return floor != null && offset < floor.getValue();
    }

    List<OffsetRange> ranges() {
        List<OffsetRange> out = new ArrayList<>(ranges.size());
        ranges.forEach((f, t) -> out.add(new OffsetRange(f, t)));
        return out;
    }

    int rangeCount() {
        return ranges.size();
    }
}
