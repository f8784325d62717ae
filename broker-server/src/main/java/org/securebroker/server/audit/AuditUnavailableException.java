package org.securebroker.server.audit;

import org.securebroker.store.failure.StoreException;

/**
 * The audit log cannot record an event. A caller that must record an operation refuses the
 * operation instead. The message names the file and the cause where there is one.
 *
 * <p>The audit log is written by the store's group-commit writer, so its failures are store
 * failures with the store's categories and retriable flags: {@link Kind#FAILED} (a write or fsync
 * failed; every append is refused until the broker restarts), {@link Kind#OVERLOADED} (too many
 * appends are waiting for the disk; retry when earlier ones complete) and {@link Kind#CLOSED}.
 * This subclass only says that it was the audit log that refused, so the broker answers
 * {@code AUDIT_UNAVAILABLE} rather than a message store's error code.
 *
 * <p>Thread-safety: immutable.
 */
public final class AuditUnavailableException extends StoreException {

    /**
     * @throws IllegalArgumentException for a kind other than {@code FAILED}, {@code OVERLOADED}
     *     or {@code CLOSED}
     */
    public AuditUnavailableException(Kind kind, String message) {
        super(auditKind(kind), message);
    }

    public AuditUnavailableException(Kind kind, String message, Throwable cause) {
        super(auditKind(kind), message, cause);
    }

    private static Kind auditKind(Kind kind) {
        if (kind != Kind.FAILED && kind != Kind.OVERLOADED && kind != Kind.CLOSED) {
            throw new IllegalArgumentException("the audit log fails with FAILED, OVERLOADED or CLOSED, not " + kind);
        }
        return kind;
    }
}
