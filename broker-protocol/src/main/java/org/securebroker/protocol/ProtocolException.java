package org.securebroker.protocol;

import java.util.Objects;

/**
 * A peer violated the wire protocol, or a frame could not be decoded.
 *
 * <p>Carries the {@link ErrorCode} the receiving side reports (in an ERROR frame) before it
 * closes the connection. Messages describe the offending field and lengths, never the
 * content of payloads or credentials.
 *
 * <p>Thread-safety: immutable after construction, like any exception that is not modified.
 */
public class ProtocolException extends RuntimeException {

    private final ErrorCode errorCode;

    /** Creates an exception reporting {@code errorCode} with a specific message. */
    public ProtocolException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    }

    /** Creates an exception reporting {@code errorCode}, keeping the underlying cause. */
    public ProtocolException(ErrorCode errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    }

    /** The code to send to the peer. */
    public ErrorCode errorCode() {
        return errorCode;
    }
}
