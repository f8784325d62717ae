package org.securebroker.protocol.frame;

/**
 * NACK (0x18, client to server): the consumer could not process a delivery; redeliver it
 * after a delay. No answer unless it fails.
 *
 * <pre>
 * u32 consumerId | u64 offset | i64 delayMillis (&gt;= 0)
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client (echoed only in an ERROR)
 * @param consumerId from SUBSCRIBE_OK (u32 bit pattern in an int)
 * @param offset the delivery's offset (u64 carried in a long)
 * @param delayMillis redelivery delay; 0 = as soon as possible; never negative
 */
public record NackFrame(int correlationId, int consumerId, long offset, long delayMillis)
        implements Frame {

    public NackFrame {
        FieldChecks.nonNegative("delayMillis", delayMillis);
    }

    @Override
    public FrameType type() {
        return FrameType.NACK;
    }
}
