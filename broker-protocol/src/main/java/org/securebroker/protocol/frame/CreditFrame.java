package org.securebroker.protocol.frame;

/**
 * CREDIT (0x15, client to server): grants a consumer more deliveries. No answer unless it
 * fails.
 *
 * <pre>
 * u32 consumerId | u32 credit
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client (echoed only in an ERROR)
 * @param consumerId from SUBSCRIBE_OK (u32 bit pattern in an int)
 * @param credit added to the consumer's outstanding credit (u32)
 */
public record CreditFrame(int correlationId, int consumerId, long credit) implements Frame {

    public CreditFrame {
        FieldChecks.u32("credit", credit);
    }

    @Override
    public FrameType type() {
        return FrameType.CREDIT;
    }
}
