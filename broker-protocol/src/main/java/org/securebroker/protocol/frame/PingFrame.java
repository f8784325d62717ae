package org.securebroker.protocol.frame;

/**
 * PING (0x32, either direction): liveness check; the receiver answers PONG with the same
 * payload and correlation id.
 *
 * <pre>
 * u64 payload
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the sender; 0 when the server pings
 * @param payload opaque value echoed in PONG (u64 carried in a long)
 */
public record PingFrame(int correlationId, long payload) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.PING;
    }
}
