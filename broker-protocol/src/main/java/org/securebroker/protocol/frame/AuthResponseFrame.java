package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * AUTH_RESPONSE (0x05, client to server): answers an AUTH_CHALLENGE.
 *
 * <pre>
 * bytes response
 * </pre>
 *
 * <p>{@link #toString()} reports only the response's length.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from AUTH_CHALLENGE (the AUTH's id)
 * @param response mechanism-specific data (secret)
 */
public record AuthResponseFrame(int correlationId, Bytes response) implements Frame {

    public AuthResponseFrame {
        Objects.requireNonNull(response, "response");
    }

    @Override
    public FrameType type() {
        return FrameType.AUTH_RESPONSE;
    }
}
