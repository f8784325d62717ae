package org.securebroker.protocol.frame;

/**
 * SEEK_OK (0x2D, server to client, protocol version 2): answers SEEK.
 *
 * <pre>
 * u64 offset
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from SEEK
 * @param offset the position the subscription now starts at (u64 carried in a long)
 */
public record SeekOkFrame(int correlationId, long offset) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.SEEK_OK;
    }
}
