package org.securebroker.store;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The offsets given to the records of one append, which are consecutive, and the seal each record
 * got from the store's {@link RecordSealer} (empty without one). The future that yields this
 * completes only after the records were fsynced.
 *
 * <p>Thread-safety: immutable; the seals are read-only buffers.
 */
public record AppendResult(long firstOffset, long lastOffset, List<ByteBuffer> seals) {

    public AppendResult {
        seals = List.copyOf(seals);
    }

    public AppendResult(long firstOffset, long lastOffset) {
        this(firstOffset, lastOffset, List.of());
    }

    public int count() {
        return (int) (lastOffset - firstOffset + 1);
    }
}
