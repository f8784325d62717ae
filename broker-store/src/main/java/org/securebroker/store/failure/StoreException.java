package org.securebroker.store.failure;

/**
 * The one exception type the store throws (or completes futures with). The {@link Kind} says
 * what went wrong and whether trying again can help; messages name the log, file or offset
 * concerned and never contain key material or record contents.
 *
 * <p>Thread-safety: immutable.
 */
public class StoreException extends RuntimeException {

    /** What went wrong, with whether a later retry of the same call can succeed. */
    public enum Kind {
        /** An fsync or write failed; the store refuses writes until it is restarted. */
        FAILED(false),
        /** The disk is full; nothing was written. Retry once space is freed. */
        DISK_FULL(true),
        /** Too many bytes are waiting for the disk; retry after some complete. */
        OVERLOADED(true),
        LOG_NOT_FOUND(false),
        LOG_EXISTS(false),
        SUBSCRIPTION_NOT_FOUND(false),
        RECORD_TOO_LARGE(false),
        /** The offset is below the log's start (released) or otherwise not readable. */
        OFFSET_OUT_OF_RANGE(false),
        /** The record failed its checksum or authentication tag and is quarantined. */
        RECORD_CORRUPTED(false),
        /** A key-encryption key is missing or wrong, or a key file is unsafe. */
        KEY_ERROR(false),
        /** Store metadata (a segment header, key file or log metadata) is damaged. */
        CORRUPTED_METADATA(false),
        /** The store is locked by another process or its directory is unusable. */
        UNAVAILABLE(false),
        /**
         * The log exists but cannot be opened: its files do not add up (a missing, shortened or
         * rolled-back segment, a damaged manifest). The message names the file and the offsets;
         * only an operator's repair (accepting the loss) or a restore from backup brings it back.
         */
        LOG_UNAVAILABLE(false),
        /** Reading a file failed. */
        IO_ERROR(false),
        CLOSED(false),
        INVALID_ARGUMENT(false);

        private final boolean retriable;

        Kind(boolean retriable) {
            this.retriable = retriable;
        }

        public boolean retriable() {
            return retriable;
        }
    }

    private final Kind kind;

    public StoreException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the same call may succeed later without operator action. */
    public boolean retriable() {
        return kind.retriable();
    }
}
