package org.securebroker.protocol.frame;

import java.util.Objects;
import java.util.Optional;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;

/**
 * ERROR (0x31, server to client): a request failed, or (correlation id 0) the connection
 * failed and will be closed.
 *
 * <pre>
 * u16 errorCode | string message
 * </pre>
 *
 * <p>The code is kept as a number so that a code from a newer server survives decoding;
 * {@link #errorCode()} maps it to the known constants. Whether to retry is derived from the
 * code; unknown codes are treated as not retriable.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from the failed request; 0 for a connection-level error
 * @param code the numeric error code (u16)
 * @param message human-readable detail; never contains secrets
 */
public record ErrorFrame(int correlationId, int code, String message) implements Frame {

    public ErrorFrame {
        FieldChecks.u16("code", code);
        Objects.requireNonNull(message, "message");
    }

    /** An error with a known code and a specific message. */
    public ErrorFrame(int correlationId, ErrorCode code, String message) {
        this(correlationId, code.code(), message);
    }

    /** An error with a known code and its default message. */
    public static ErrorFrame of(int correlationId, ErrorCode code) {
        return new ErrorFrame(correlationId, code.code(), code.defaultMessage());
    }

    /** The connection-level error (correlation id 0) reporting {@code e}. */
    public static ErrorFrame of(ProtocolException e) {
        String message = e.getMessage();
        return new ErrorFrame(0, e.errorCode(),
                message != null ? message : e.errorCode().defaultMessage());
    }

    /** The known error code, or empty if this version does not know the number. */
    public Optional<ErrorCode> errorCode() {
        return ErrorCode.fromCode(code);
    }

    /** Whether the failed request may be retried; false for unknown codes. */
    public boolean retriable() {
        return errorCode().map(ErrorCode::retriable).orElse(false);
    }

    @Override
    public FrameType type() {
        return FrameType.ERROR;
    }
}
