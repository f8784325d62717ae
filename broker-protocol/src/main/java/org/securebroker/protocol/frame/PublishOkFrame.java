package org.securebroker.protocol.frame;

import java.util.List;

/**
 * PUBLISH_OK (0x11, server to client): every message of a PUBLISH was stored.
 *
 * <pre>
 * u16 count | count x (u64 offset | bool duplicate | bytes receipt)
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from PUBLISH
 * @param results one per published message, in publish order (at most 65535)
 */
public record PublishOkFrame(int correlationId, List<PublishResult> results) implements Frame {

    public PublishOkFrame {
        results = List.copyOf(results);
        FieldChecks.count("results", results.size(), 0, FieldChecks.U16_MAX);
    }

    @Override
    public FrameType type() {
        return FrameType.PUBLISH_OK;
    }
}
