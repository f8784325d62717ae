package org.securebroker.store;

import java.nio.ByteBuffer;

/**
 * Adds a seal to each record once its offset is known, before it is encrypted: the broker signs
 * messages this way, over their final queue and offset. The store calls it on its commit thread,
 * in offset order, once per group of a log's appends in one round: appends that the store then
 * writes to one segment in one piece, so they are stored, or fail, together and a seal never
 * covers a record that was not stored. The seal is appended
 * to the record's plaintext, so readers get record and seal back as one payload. A seal adds at
 * most {@link #maxSealBytes()} bytes (never more than {@link #MAX_SEAL_BYTES}), which the store
 * counts against its batch and record limits.
 *
 * <p>If it throws, none of that log's records of the group commit are stored, and their appends
 * fail; records are never written without their seal.
 *
 * <p>Sealed together, records are also written together: the appends of one log in one round
 * are sealed for consecutive offsets before any is written, a group never straddles a segment
 * roll, and an append whose offsets moved (an earlier group of the round failed) fails rather
 * than be written under seals for other offsets.
 *
 * <p>Thread-safety: called from the store's commit thread only.
 */
public interface RecordSealer {

    /** The most any sealer may add to a record; readers accept records this much larger. */
    int MAX_SEAL_BYTES = 4096;

    /** The most {@link #seal} adds to one record. */
    int maxSealBytes();

    /**
     * Seals records that get offsets {@code firstOffset}, {@code firstOffset + 1}, ...
     *
     * @param log the log's name
     * @param records the records' plaintext (read their remaining bytes; do not change them)
     * @return one seal per record, in order, each at most {@link #maxSealBytes()} bytes
     */
    ByteBuffer[] seal(String log, long firstOffset, ByteBuffer[] records);
}
