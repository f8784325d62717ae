package org.securebroker.store;

/**
 * The offsets given to the records of one append, which are consecutive. The future that yields
 * this completes only after the records were fsynced.
 *
 * <p>Thread-safety: immutable.
 */
public record AppendResult(long firstOffset, long lastOffset) {

    public int count() {
        return (int) (lastOffset - firstOffset + 1);
    }
}
