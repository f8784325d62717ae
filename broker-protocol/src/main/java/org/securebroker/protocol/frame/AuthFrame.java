package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * AUTH (0x03, client to server): starts authentication before AUTH_OK; on an open session,
 * AUTH with mechanism JWT renews the session's deadline (protocol.md 4.5).
 *
 * <pre>
 * string mechanism | bytes initialResponse
 * </pre>
 *
 * <p>For PLAIN the initial response is RFC 4616: {@code authzid NUL authcid NUL password} in
 * UTF-8. The response is a credential: {@link #toString()} reports only its length.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param mechanism one of the mechanisms offered in HELLO_OK
 * @param initialResponse mechanism-specific first message (secret)
 */
public record AuthFrame(int correlationId, String mechanism, Bytes initialResponse)
        implements Frame {

    public AuthFrame {
        Objects.requireNonNull(mechanism, "mechanism");
        Objects.requireNonNull(initialResponse, "initialResponse");
    }

    @Override
    public FrameType type() {
        return FrameType.AUTH;
    }
}
