package org.securebroker.server.audit;

/**
 * The audit log cannot record an event. A caller that must record an operation refuses the
 * operation instead. The message names the file and the cause where there is one.
 *
 * <p>Thread-safety: immutable.
 */
public final class AuditUnavailableException extends RuntimeException {

    /** Why the event was not recorded, with whether a later append can succeed. */
    public enum Kind {
        /** A write or fsync failed: the log refuses every append until the broker restarts. */
        FAILED(false),
        /** Too many appends are waiting for the disk; retry when earlier ones complete. */
        OVERLOADED(true),
        /** The log was closed. */
        CLOSED(false);

        private final boolean retriable;

        Kind(boolean retriable) {
            this.retriable = retriable;
        }

        public boolean retriable() {
            return retriable;
        }
    }

    private final Kind kind;

    public AuditUnavailableException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public AuditUnavailableException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the same append may succeed later without a restart. */
    public boolean retriable() {
        return kind.retriable();
    }
}
