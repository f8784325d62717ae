package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * AUTH_CHALLENGE (0x04, server to client): the next step of a multi-step mechanism.
 *
 * <pre>
 * bytes challenge
 * </pre>
 *
 * <p>{@link #toString()} reports only the challenge's length.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from AUTH
 * @param challenge mechanism-specific data (treated as secret)
 */
public record AuthChallengeFrame(int correlationId, Bytes challenge) implements Frame {

    public AuthChallengeFrame {
        Objects.requireNonNull(challenge, "challenge");
    }

    @Override
    public FrameType type() {
        return FrameType.AUTH_CHALLENGE;
    }
}
