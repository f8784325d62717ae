package org.securebroker.protocol.frame;

import java.util.List;
import java.util.Objects;
import org.securebroker.protocol.ProtocolLimits;

/**
 * PUBLISH (0x10, client to server): appends messages to a queue. Answered by PUBLISH_OK with
 * one result per message, in order.
 *
 * <pre>
 * string queue | u16 count (1..1000) | count x message
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue target queue
 * @param messages 1 to {@link ProtocolLimits#MAX_PUBLISH_MESSAGES} messages
 */
public record PublishFrame(int correlationId, String queue, List<PublishMessage> messages)
        implements Frame {

    public PublishFrame {
        Objects.requireNonNull(queue, "queue");
        messages = List.copyOf(messages);
        FieldChecks.count("messages", messages.size(), 1, ProtocolLimits.MAX_PUBLISH_MESSAGES);
    }

    @Override
    public FrameType type() {
        return FrameType.PUBLISH;
    }
}
