package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * SUBSCRIBE (0x12, client to server): attaches a consumer to a subscription of a queue.
 * Answered by SUBSCRIBE_OK.
 *
 * <pre>
 * string queue | string subscription | u32 initialCredit
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param correlationId chosen by the client
 * @param queue the queue to consume from
 * @param subscription the named cursor; consumers on the same subscription compete
 * @param initialCredit how many DELIVER frames the broker may send before more credit (u32)
 */
public record SubscribeFrame(int correlationId, String queue, String subscription,
                             long initialCredit) implements Frame {

    public SubscribeFrame {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(subscription, "subscription");
        FieldChecks.u32("initialCredit", initialCredit);
    }

    @Override
    public FrameType type() {
        return FrameType.SUBSCRIBE;
    }
}
