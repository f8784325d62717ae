package org.securebroker.protocol.frame;

/**
 * LIST_QUEUES (0x22, client to server): asks for the queues visible to the principal.
 * Empty body. Answered by QUEUE_LIST.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 */
public record ListQueuesFrame(int correlationId) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.LIST_QUEUES;
    }
}
