package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * AUTH_OK (0x06, server to client): authentication succeeded.
 *
 * <pre>
 * string principal | i64 sessionExpiresAtMillis | bytes additionalData
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from AUTH
 * @param principal the authenticated identity
 * @param sessionExpiresAtMillis epoch millis when the session must re-authenticate; 0 = never
 * @param additionalData mechanism-specific final data (SCRAM server-final); empty for PLAIN
 */
public record AuthOkFrame(int correlationId, String principal, long sessionExpiresAtMillis,
                          Bytes additionalData) implements Frame {

    public AuthOkFrame {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(additionalData, "additionalData");
    }

    @Override
    public FrameType type() {
        return FrameType.AUTH_OK;
    }
}
