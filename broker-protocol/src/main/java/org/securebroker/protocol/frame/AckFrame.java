package org.securebroker.protocol.frame;

import java.util.Arrays;
import org.securebroker.protocol.ProtocolLimits;

/**
 * ACK (0x17, client to server): the consumer has processed these deliveries. No answer
 * unless it fails.
 *
 * <pre>
 * u32 consumerId | u16 count (1..4096) | count x u64 offset
 * </pre>
 *
 * <p>The offsets array is copied on construction and by {@link #offsets()}; use
 * {@link #count()} and {@link #offsetAt(int)} to read without copying.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client (echoed only in an ERROR)
 * @param consumerId from SUBSCRIBE_OK (u32 bit pattern in an int)
 * @param offsets 1 to {@link ProtocolLimits#MAX_ACK_OFFSETS} offsets (u64 carried in longs)
 */
public record AckFrame(int correlationId, int consumerId, long[] offsets) implements Frame {

    public AckFrame {
        offsets = offsets.clone();
        FieldChecks.count("offsets", offsets.length, 1, ProtocolLimits.MAX_ACK_OFFSETS);
    }

    /** A copy of the acknowledged offsets. */
    @Override
    public long[] offsets() {
        return offsets.clone();
    }

    /** Number of acknowledged offsets. */
    public int count() {
        return offsets.length;
    }

    /** The offset at {@code index}. */
    public long offsetAt(int index) {
        return offsets[index];
    }

    @Override
    public FrameType type() {
        return FrameType.ACK;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AckFrame other
                && correlationId == other.correlationId
                && consumerId == other.consumerId
                && Arrays.equals(offsets, other.offsets);
    }

    @Override
    public int hashCode() {
        return (31 * correlationId + consumerId) * 31 + Arrays.hashCode(offsets);
    }

    @Override
    public String toString() {
        return "AckFrame[correlationId=" + correlationId + ", consumerId=" + consumerId
                + ", offsets=" + (offsets.length <= 16 ? Arrays.toString(offsets)
                : offsets.length + " offsets") + "]";
    }
}
