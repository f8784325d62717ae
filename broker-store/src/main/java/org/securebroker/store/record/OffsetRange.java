package org.securebroker.store.record;

/**
 * A half-open range of log offsets {@code [from, to)}.
 *
 * <p>Thread-safety: immutable.
 */
public record OffsetRange(long from, long to) {

    public OffsetRange {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("invalid offset range [" + from + ", " + to + ")");
        }
    }

    public boolean contains(long offset) {
        return offset >= from && offset < to;
    }

    public long count() {
        return to - from;
    }

    public boolean isEmpty() {
        return from == to;
    }

    @Override
    public String toString() {
        return "[" + from + ", " + to + ")";
    }
}
