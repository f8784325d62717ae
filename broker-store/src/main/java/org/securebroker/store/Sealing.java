package org.securebroker.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The commit thread's use of a {@link RecordSealer}: one call per append (whose records are
 * written, or fail, together), the seals checked, and the read-only copies an append's result
 * carries.
 *
 * <p>Thread-safety: stateless; used on the commit thread.
 */
final class Sealing {

    private Sealing() {
    }

    /**
     * Seals the records of each of {@code appends} (each an array of records, in order) for
     * consecutive offsets from {@code firstOffset}, one sealer call per append: an append's
     * records are stored or fail together, so a seal never covers a record that was not stored.
     *
     * @return the seals of each append, in order
     * @throws RuntimeException if the sealer fails or breaks its contract
     */
    static List<ByteBuffer[]> seal(RecordSealer sealer, String log, long firstOffset, List<ByteBuffer[]> appends) {
        List<ByteBuffer[]> out = new ArrayList<>(appends.size());
        long offset = firstOffset;
        for (ByteBuffer[] records : appends) {
            ByteBuffer[] views = new ByteBuffer[records.length];
            for (int i = 0; i < records.length; i++) {
                views[i] = records[i].duplicate();
            }
            ByteBuffer[] seals = sealer.seal(log, offset, views);
            if (seals.length != records.length) {
                throw new IllegalStateException("the sealer returned " + seals.length + " seals for " + records.length
                        + " records");
            }
            for (ByteBuffer seal : seals) {
                if (seal.remaining() > sealer.maxSealBytes()) {
                    throw new IllegalStateException("a seal of " + seal.remaining() + " bytes exceeds the sealer's "
                            + sealer.maxSealBytes());
                }
            }
            out.add(seals);
            offset += records.length;
        }
        return out;
    }

    /** Read-only views of an append's seals, for its result; empty without a sealer. */
    static List<ByteBuffer> resultView(ByteBuffer[] seals) {
        if (seals == null) {
            return List.of();
        }
        List<ByteBuffer> out = new ArrayList<>(seals.length);
        for (ByteBuffer seal : seals) {
            out.add(seal.asReadOnlyBuffer());
        }
        return out;
    }
}
