package org.securebroker.protocol.frame;

import java.util.Objects;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.Utf8;

/**
 * REJECT (0x1A, client to server, protocol version 2): the consumer will never be able to
 * process a delivery; move it straight to the queue's dead-letter queue with the reason. No
 * answer unless it fails.
 *
 * <pre>
 * u32 consumerId | u64 offset | string reason (at most 1024 UTF-8 bytes)
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client (echoed only in an ERROR)
 * @param consumerId from SUBSCRIBE_OK (u32 bit pattern in an int)
 * @param offset the delivery's offset (u64 carried in a long)
 * @param reason why, recorded in the dead letter's headers; at most
 *     {@link ProtocolLimits#MAX_REJECT_REASON_BYTES} UTF-8 bytes
 */
public record RejectFrame(int correlationId, int consumerId, long offset, String reason) implements Frame {

    public RejectFrame {
        Objects.requireNonNull(reason, "reason");
        int length;
        try {
            length = Utf8.length(reason);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("reason " + e.getMessage(), e);
        }
        if (length > ProtocolLimits.MAX_REJECT_REASON_BYTES) {
            throw new IllegalArgumentException("reason is " + length + " UTF-8 bytes, at most "
                    + ProtocolLimits.MAX_REJECT_REASON_BYTES + " are allowed");
        }
    }

    @Override
    public FrameType type() {
        return FrameType.REJECT;
    }
}
