package org.securebroker.protocol.frame;

/**
 * PURGE_OK (0x29, server to client, protocol version 2): answers PURGE_QUEUE.
 *
 * <pre>
 * u64 purged
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from PURGE_QUEUE
 * @param purged how many messages were removed (u64 carried in a long)
 */
public record PurgeOkFrame(int correlationId, long purged) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.PURGE_OK;
    }
}
