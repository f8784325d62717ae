package org.securebroker.protocol.frame;

import java.util.List;
import org.securebroker.protocol.ProtocolLimits;

/**
 * BROWSE_RESULT (0x2B, server to client, protocol version 2): answers BROWSE.
 *
 * <pre>
 * u64 nextOffset | u16 count (0..1000) | count x browsed message
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId echoed from BROWSE
 * @param nextOffset where to continue browsing (u64 carried in a long)
 * @param messages the messages read, in offset order; at most
 *     {@link ProtocolLimits#MAX_BROWSE_MESSAGES}; empty when none is at or after the offset asked
 */
public record BrowseResultFrame(int correlationId, long nextOffset, List<BrowsedMessage> messages)
        implements Frame {

    public BrowseResultFrame {
        messages = List.copyOf(messages);
        FieldChecks.count("messages", messages.size(), 0, ProtocolLimits.MAX_BROWSE_MESSAGES);
    }

    @Override
    public FrameType type() {
        return FrameType.BROWSE_RESULT;
    }
}
