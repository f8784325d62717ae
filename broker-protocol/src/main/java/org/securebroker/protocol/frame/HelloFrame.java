package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * HELLO (0x01, client to server): opens a session and offers a version range.
 *
 * <pre>
 * u32 magic 0x5342524B ("SBRK") | u16 minVersion | u16 maxVersion | u32 maxFrameSize | string clientId
 * </pre>
 *
 * <p>The magic is implied by the type: the codec writes it and rejects any other value.
 * The version range is not checked here; an empty overlap is answered with
 * UNSUPPORTED_VERSION by the server.
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param minVersion lowest version the client speaks (u16)
 * @param maxVersion highest version the client speaks (u16)
 * @param maxFrameSize the largest frame the client accepts (u32)
 * @param clientId free text identifying the client software, for logs
 */
public record HelloFrame(int correlationId, int minVersion, int maxVersion, long maxFrameSize,
                         String clientId) implements Frame {

    /** The magic number that starts every HELLO body: ASCII "SBRK". */
    public static final int MAGIC = 0x5342524B;

    public HelloFrame {
        FieldChecks.u16("minVersion", minVersion);
        FieldChecks.u16("maxVersion", maxVersion);
        FieldChecks.u32("maxFrameSize", maxFrameSize);
        Objects.requireNonNull(clientId, "clientId");
    }

    @Override
    public FrameType type() {
        return FrameType.HELLO;
    }
}
