package org.securebroker.protocol.frame;

import java.util.List;
import java.util.Objects;

/**
 * HELLO_OK (0x02, server to client): accepts HELLO with the chosen version and limits.
 *
 * <pre>
 * u16 version | u32 maxFrameSize | string serverId | u16 count | count x string mechanism | u32 authTimeoutMillis
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from HELLO
 * @param version the chosen protocol version (u16)
 * @param maxFrameSize negotiated limit, min(client, server) (u32)
 * @param serverId identifies the server, for logs
 * @param authMechanisms offered mechanisms, e.g. "PLAIN", "SCRAM-SHA-256" (at most 65535)
 * @param authTimeoutMillis how long the client has to complete authentication (u32)
 */
public record HelloOkFrame(int correlationId, int version, long maxFrameSize, String serverId,
                           List<String> authMechanisms, long authTimeoutMillis) implements Frame {

    public HelloOkFrame {
        FieldChecks.u16("version", version);
        FieldChecks.u32("maxFrameSize", maxFrameSize);
        Objects.requireNonNull(serverId, "serverId");
        authMechanisms = List.copyOf(authMechanisms);
        FieldChecks.count("authMechanisms", authMechanisms.size(), 0, FieldChecks.U16_MAX);
        FieldChecks.u32("authTimeoutMillis", authTimeoutMillis);
    }

    @Override
    public FrameType type() {
        return FrameType.HELLO_OK;
    }
}
