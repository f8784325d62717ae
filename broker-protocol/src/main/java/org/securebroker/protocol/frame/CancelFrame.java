package org.securebroker.protocol.frame;

import java.util.Objects;
import java.util.Optional;
import org.securebroker.protocol.ErrorCode;

/**
 * CANCEL (0x19, server to client): the broker ended a consumer on its own, for example because
 * the principal lost the right to consume from the queue or the queue was deleted. No more
 * DELIVER frames follow for this consumer id; its unsettled deliveries become available to other
 * consumers, and acknowledging them is refused.
 *
 * <pre>
 * u32 consumerId | u16 errorCode | string message
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId always 0 (pushed by the broker)
 * @param consumerId from SUBSCRIBE_OK (u32 bit pattern in an int)
 * @param code why, as an error code (u16), e.g. NOT_AUTHORIZED or QUEUE_NOT_FOUND
 * @param message human-readable detail; never contains secrets
 */
public record CancelFrame(int correlationId, int consumerId, int code, String message) implements Frame {

    public CancelFrame {
        if (correlationId != 0) {
            throw new IllegalArgumentException("correlation id must be 0, got " + Integer.toUnsignedString(correlationId));
        }
        FieldChecks.u16("code", code);
        Objects.requireNonNull(message, "message");
    }

    /** A cancellation with a known code. */
    public CancelFrame(int consumerId, ErrorCode code, String message) {
        this(0, consumerId, code.code(), message);
    }

    /** The known error code, or empty if this version does not know the number. */
    public Optional<ErrorCode> errorCode() {
        return ErrorCode.fromCode(code);
    }

    @Override
    public FrameType type() {
        return FrameType.CANCEL;
    }
}
