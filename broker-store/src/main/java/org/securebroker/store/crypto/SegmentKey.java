package org.securebroker.store.crypto;

/**
 * What binds a record's encryption to its place: the log id, the segment's base offset and the
 * segment's data key.
 *
 * <p>Thread-safety: immutable (the log id array is never modified after construction).
 */
public record SegmentKey(byte[] logId, long segmentBase, DataKey dataKey) {

    public SegmentKey {
        if (logId.length != 16) {
            throw new IllegalArgumentException("a log id is 16 bytes");
        }
        logId = logId.clone();
    }

    @Override
    public byte[] logId() {
        return logId.clone();
    }

    byte[] logIdUnsafe() {
        return logId;
    }

    @Override
    public String toString() {
        return "SegmentKey[segment=" + segmentBase + ", " + dataKey + "]";
    }
}
