package org.securebroker.store.failure;

import org.securebroker.store.record.OffsetRange;

/**
 * A read reached records that are quarantined: they failed their checksum or authentication
 * tag, or sit in a damaged region. They are never served; the range names what is affected.
 *
 * <p>Thread-safety: immutable.
 */
public final class RecordCorruptedException extends StoreException {

    private final String log;
    private final OffsetRange range;

    public RecordCorruptedException(String log, OffsetRange range, String reason) {
        super(Kind.RECORD_CORRUPTED, "log '" + log + "': records " + range + " are quarantined: " + reason);
        this.log = log;
        this.range = range;
    }

    public String log() {
        return log;
    }

    /** The quarantined offsets. */
    public OffsetRange range() {
        return range;
    }
}
