package org.securebroker.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The commit thread's use of a {@link RecordSealer}: one call for all of a log's records of a
 * round, the seals checked and handed back per append, and the read-only copies an append's
 * result carries.
 *
 * <p>Thread-safety: stateless; used on the commit thread.
 */
final class Sealing {

    private Sealing() {
    }

    /**
     * Seals the records of {@code appends} (each an array of records, in order) for offsets from
     * {@code firstOffset}.
     *
     * @return the seals of each append, in order
     * @throws RuntimeException if the sealer fails or breaks its contract; nothing is sealed then
     */
    static List<ByteBuffer[]> seal(RecordSealer sealer, String log, long firstOffset, List<ByteBuffer[]> appends) {
        int count = 0;
        for (ByteBuffer[] records : appends) {
            count += records.length;
        }
        ByteBuffer[] all = new ByteBuffer[count];
        int at = 0;
        for (ByteBuffer[] records : appends) {
            for (ByteBuffer r : records) {
                all[at++] = r.duplicate();
            }
        }
        ByteBuffer[] seals = sealer.seal(log, firstOffset, all);
        if (seals.length != count) {
            throw new IllegalStateException("the sealer returned " + seals.length + " seals for " + count + " records");
        }
        for (ByteBuffer seal : seals) {
            if (seal.remaining() > sealer.maxSealBytes()) {
                throw new IllegalStateException("a seal of " + seal.remaining() + " bytes exceeds the sealer's "
                        + sealer.maxSealBytes());
            }
        }
        List<ByteBuffer[]> out = new ArrayList<>(appends.size());
        at = 0;
        for (ByteBuffer[] records : appends) {
            out.add(Arrays.copyOfRange(seals, at, at + records.length));
            at += records.length;
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
