package org.securebroker.protocol.frame;

import java.util.Objects;
import java.util.Optional;
import org.securebroker.protocol.ErrorCode;

/**
 * CLOSE (0x34, either direction): the sender is closing the connection after this frame.
 *
 * <pre>
 * u16 errorCode (0 = NONE, a normal close) | string reason
 * </pre>
 *
 * <p>As in {@link ErrorFrame}, the code is kept as a number so unknown codes survive.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId 0 unless closing in answer to a specific request
 * @param code the numeric error code (u16); 0 for a normal close
 * @param reason human-readable reason; never contains secrets
 */
public record CloseFrame(int correlationId, int code, String reason) implements Frame {

    public CloseFrame {
        FieldChecks.u16("code", code);
        Objects.requireNonNull(reason, "reason");
    }

    /** A close with a known code. */
    public CloseFrame(int correlationId, ErrorCode code, String reason) {
        this(correlationId, code.code(), reason);
    }

    /** A normal close (code NONE, correlation id 0). */
    public static CloseFrame normal(String reason) {
        return new CloseFrame(0, ErrorCode.NONE.code(), reason);
    }

    /** The known error code, or empty if this version does not know the number. */
    public Optional<ErrorCode> errorCode() {
        return ErrorCode.fromCode(code);
    }

    @Override
    public FrameType type() {
        return FrameType.CLOSE;
    }
}
