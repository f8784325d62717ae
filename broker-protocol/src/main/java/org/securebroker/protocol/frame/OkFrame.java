package org.securebroker.protocol.frame;

/**
 * OK (0x30, server to client): the request succeeded and has no further result. Empty body.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from the request
 */
public record OkFrame(int correlationId) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.OK;
    }
}
