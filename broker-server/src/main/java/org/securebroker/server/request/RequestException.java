package org.securebroker.server.request;

import org.securebroker.protocol.ErrorCode;
import org.securebroker.store.failure.StoreException;

/**
 * A request the broker refuses or cannot complete. It is answered with an ERROR frame carrying
 * the request's correlation id; the session continues. The message is meant for the client:
 * it names what is wrong and what is allowed, never secrets or internals.
 *
 * <p>Thread-safety: immutable.
 */
public final class RequestException extends RuntimeException {

    private final ErrorCode code;

    public RequestException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /** Translates a store failure into what a client may be told. */
    public static RequestException fromStore(StoreException e) {
        ErrorCode code = switch (e.kind()) {
            case FAILED -> ErrorCode.STORE_UNAVAILABLE;
            case DISK_FULL -> ErrorCode.STORE_FULL;
            case OVERLOADED -> ErrorCode.OVERLOADED;
            case RECORD_TOO_LARGE -> ErrorCode.MESSAGE_TOO_LARGE;
            case LOG_NOT_FOUND -> ErrorCode.QUEUE_NOT_FOUND;
            case LOG_EXISTS -> ErrorCode.QUEUE_EXISTS;
            case RECORD_CORRUPTED -> ErrorCode.RECORD_CORRUPTED;
            case CLOSED -> ErrorCode.SHUTTING_DOWN;
            case INVALID_ARGUMENT -> ErrorCode.INVALID_REQUEST;
            default -> ErrorCode.INTERNAL_ERROR;
        };
        String message = switch (code) {
            case STORE_UNAVAILABLE -> "the broker's store failed and refuses writes until the broker is restarted";
            case STORE_FULL -> "the broker's disk is full; retry later";
            case OVERLOADED -> "the broker is busy writing; retry later";
            case INTERNAL_ERROR -> "internal error";
            default -> e.getMessage();
        };
        return new RequestException(code, message);
    }
}
