package org.securebroker.protocol.frame;

/**
 * SUBSCRIBE_OK (0x13, server to client): the consumer is attached.
 *
 * <pre>
 * u32 consumerId
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from SUBSCRIBE
 * @param consumerId connection-scoped consumer id (u32 bit pattern in an int)
 */
public record SubscribeOkFrame(int correlationId, int consumerId) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.SUBSCRIBE_OK;
    }
}
