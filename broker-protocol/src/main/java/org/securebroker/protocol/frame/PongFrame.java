package org.securebroker.protocol.frame;

/**
 * PONG (0x33, either direction): answers PING.
 *
 * <pre>
 * u64 payload
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from PING
 * @param payload echoed from PING (u64 carried in a long)
 */
public record PongFrame(int correlationId, long payload) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.PONG;
    }
}
