package org.securebroker.protocol.frame;

/**
 * UNSUBSCRIBE (0x14, client to server): detaches a consumer. Answered by OK.
 *
 * <pre>
 * u32 consumerId
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param consumerId from SUBSCRIBE_OK (u32 bit pattern in an int)
 */
public record UnsubscribeFrame(int correlationId, int consumerId) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.UNSUBSCRIBE;
    }
}
