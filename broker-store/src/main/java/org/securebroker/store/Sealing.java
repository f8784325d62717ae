package org.securebroker.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.securebroker.store.CommitLoop.Append;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.segment.RecordFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit thread's use of a {@link RecordSealer}: a log's appends of one round are sealed in
 * groups, one sealer call per group, and the store writes each group to one segment in one
 * piece, so a group's records are stored, or fail, together and a seal never covers a record
 * that was not stored. Grouping the appends of a round (rather than sealing each append alone)
 * is what keeps signing cheap when producers publish a few messages at a time: one signature
 * then covers everything a queue received while the previous round was being written.
 *
 * <p>Thread-safety: stateless; used on the commit thread, which owns the appends it changes.
 */
final class Sealing {

    private static final Logger LOG = LoggerFactory.getLogger(Sealing.class);

    private Sealing() {
    }

    /**
     * Seals all of a log's appends of one round, in {@linkplain #groups groups} that go to one
     * segment together, for the offsets they will get if every append before them is written
     * (the commit loop refuses an append whose offsets moved). Each append gets its seals, the
     * offset they were made for and, on a group's first append, the group's size; if the sealer
     * fails, that group and every later one of the log carry the error instead.
     */
    static void sealRound(RecordSealer sealer, String log, long firstOffset, List<Append> appends, int segmentBytes) {
        long[] bytes = new long[appends.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = appends.get(i).bytes;
        }
        int[] starts = groups(bytes, segmentBytes);
        long next = firstOffset;
        for (int g = 0; g + 1 < starts.length; g++) {
            List<Append> group = appends.subList(starts[g], starts[g + 1]);
            List<ByteBuffer[]> records = new ArrayList<>(group.size());
            long groupBytes = 0;
            for (Append a : group) {
                records.add(a.records);
                groupBytes += a.bytes;
            }
            List<ByteBuffer[]> seals;
            try {
                seals = seal(sealer, log, next, records);
            } catch (RuntimeException e) {
                LOG.error("sealing the records of log '{}' failed; they are not stored", log, e);
                for (Append a : appends.subList(starts[g], appends.size())) {
                    a.fail(new StoreException(StoreException.Kind.IO_ERROR, "the records could not be sealed ("
                            + e.getClass().getSimpleName() + "); nothing was stored", e));
                }
                return;
            }
            for (int i = 0; i < group.size(); i++) {
                Append a = group.get(i);
                a.seals = seals.get(i);
                a.sealedFirst = next;
                a.groupBytes = i == 0 ? groupBytes : -1;
                next += a.records.length;
            }
        }
    }

    /**
     * Where the groups of a log's appends start: consecutive appends whose encoded sizes (upper
     * bounds, seals included) fit in one segment together. An append larger than that is a group
     * alone (a fresh segment takes it whole).
     *
     * @param bytes the encoded size of each append, in order
     * @param segmentBytes the size past which a segment rolls
     * @return the index of each group's first append, in order, then {@code bytes.length}
     */
    static int[] groups(long[] bytes, int segmentBytes) {
        int[] starts = new int[bytes.length + 1];
        int n = 0;
        long size = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (i == 0 || size + bytes[i] + RecordFormat.HEADER_BYTES > segmentBytes) {
                starts[n++] = i;
                size = 0;
            }
            size += bytes[i];
        }
        starts[n++] = bytes.length;
        return Arrays.copyOf(starts, n);
    }

    /**
     * Seals the records of a group of appends (each an array of records, in order) for
     * consecutive offsets from {@code firstOffset}, in one sealer call.
     *
     * @return the seals of each append, in order
     * @throws RuntimeException if the sealer fails or breaks its contract
     */
    static List<ByteBuffer[]> seal(RecordSealer sealer, String log, long firstOffset, List<ByteBuffer[]> group) {
        int count = 0;
        for (ByteBuffer[] records : group) {
            count += records.length;
        }
        ByteBuffer[] views = new ByteBuffer[count];
        int at = 0;
        for (ByteBuffer[] records : group) {
            for (ByteBuffer record : records) {
                views[at++] = record.duplicate();
            }
        }
        ByteBuffer[] seals = sealer.seal(log, firstOffset, views);
        if (seals.length != count) {
            throw new IllegalStateException("the sealer returned " + seals.length + " seals for " + count + " records");
        }
        for (ByteBuffer seal : seals) {
            if (seal.remaining() > sealer.maxSealBytes()) {
                throw new IllegalStateException("a seal of " + seal.remaining() + " bytes exceeds the sealer's "
                        + sealer.maxSealBytes());
            }
        }
        List<ByteBuffer[]> out = new ArrayList<>(group.size());
        at = 0;
        for (ByteBuffer[] records : group) {
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
