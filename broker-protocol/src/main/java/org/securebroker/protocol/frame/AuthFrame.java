package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * AUTH (0x03, client to server): starts authentication. Version 1 accepts it only before
 * AUTH_OK; re-authentication of a live session is reserved for a later mechanism.
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
