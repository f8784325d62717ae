package org.securebroker.protocol.frame;

/**
 * One protocol frame. Every implementation is an immutable record of one {@link FrameType}.
 *
 * <p>The correlation id is chosen by the requester and echoed in the response, so requests can
 * be pipelined. Server-initiated frames (DELIVER, a connection-level ERROR, CLOSE, a server
 * PING) use 0.
 *
 * <p>Thread-safety: all implementations are immutable and safe to share between threads.
 */
public sealed interface Frame
        permits HelloFrame, HelloOkFrame, AuthFrame, AuthChallengeFrame, AuthResponseFrame,
                AuthOkFrame, PublishFrame, PublishOkFrame, SubscribeFrame, SubscribeOkFrame,
                UnsubscribeFrame, CreditFrame, DeliverFrame, AckFrame, NackFrame, CancelFrame,
                CreateQueueFrame, DeleteQueueFrame, ListQueuesFrame, QueueListFrame, ReloadFrame, OkFrame,
                ErrorFrame, PingFrame, PongFrame, CloseFrame,
                RejectFrame, ListSubscriptionsFrame, SubscriptionListFrame, DeleteSubscriptionFrame,
                PurgeQueueFrame, PurgeOkFrame, BrowseFrame, BrowseResultFrame, SeekFrame, SeekOkFrame {

    /** The frame's type, fixed per implementing record. */
    FrameType type();

    /** The correlation id: echoed from the request in responses; 0 for server-initiated frames. */
    int correlationId();
}
