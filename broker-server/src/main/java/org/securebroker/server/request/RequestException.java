package org.securebroker.server.request;

import java.io.IOException;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.DiskSpace;

/**
 * A request the broker refuses or cannot complete. It is answered with an ERROR frame carrying
 * the request's correlation id; the session continues. The message is meant for the client:
 * it names what is wrong and what is allowed, never secrets or internals (no file paths, no
 * stack traces).
 *
 * <p>Thread-safety: immutable.
 */
public final class RequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    /** What a client hears when a write is refused for want of disk space. */
    public static final String DISK_FULL_MESSAGE = "the broker's disk is full; nothing was stored; retry later";

    private final ErrorCode code;

    public RequestException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /**
     * Translates a store failure into what a client may be told. A failure caused by a full disk
     * is {@code STORE_FULL} whatever kind the store gave it (see {@link #isDiskFull}); a kind with
     * no client meaning is {@code INTERNAL_ERROR}, which the caller must log, since the client
     * hears no detail.
     */
    public static RequestException fromStore(StoreException e) {
        if (isDiskFull(e)) {
            return new RequestException(ErrorCode.STORE_FULL, DISK_FULL_MESSAGE);
        }
        ErrorCode code = switch (e.kind()) {
            case FAILED -> ErrorCode.STORE_UNAVAILABLE;
            case OVERLOADED -> ErrorCode.OVERLOADED;
            case RECORD_TOO_LARGE -> ErrorCode.MESSAGE_TOO_LARGE;
            case LOG_NOT_FOUND -> ErrorCode.QUEUE_NOT_FOUND;
            case LOG_EXISTS -> ErrorCode.QUEUE_EXISTS;
            case LOG_UNAVAILABLE -> ErrorCode.QUEUE_UNAVAILABLE;
            case RECORD_CORRUPTED -> ErrorCode.RECORD_CORRUPTED;
            case CLOSED -> ErrorCode.SHUTTING_DOWN;
            case INVALID_ARGUMENT -> ErrorCode.INVALID_REQUEST;
            default -> ErrorCode.INTERNAL_ERROR;
        };
        String message = switch (code) {
            case STORE_UNAVAILABLE -> "the broker's store failed and refuses writes until the broker is restarted; "
                    + "whether the request's last write reached the disk is unknown";
            case OVERLOADED -> "the broker is busy writing; retry later";
            case QUEUE_UNAVAILABLE -> "the queue is unavailable: part of its stored messages is missing or damaged; "
                    + "an operator must repair it";
            case SHUTTING_DOWN -> "the broker is shutting down";
            case INTERNAL_ERROR -> "internal error";
            default -> e.getMessage();
        };
        return new RequestException(code, message);
    }

    /**
     * Whether a failure comes from a full disk (or an exhausted quota) and clears once space is
     * freed: a store failure of kind {@code DISK_FULL}, or an I/O error saying so, anywhere in its
     * chain of causes. Not a store that failed for good ({@code FAILED}, for instance an fsync
     * that reported no space): freeing space does not help that store, only a restart does, so it
     * is {@code STORE_UNAVAILABLE}.
     */
    public static boolean isDiskFull(Throwable error) {
        Throwable t = error;
        for (int depth = 0; t != null && depth < 16; depth++) {
            if (t instanceof StoreException se && se.kind() == StoreException.Kind.DISK_FULL) {
                return true;
            }
            if (t instanceof StoreException se && se.kind() == StoreException.Kind.FAILED) {
                return false;
            }
            if (t instanceof IOException io) {
                if (DiskSpace.isFull(io)) {
                    return true;
                }
            }
            t = t.getCause();
        }
        return false;
    }
}
