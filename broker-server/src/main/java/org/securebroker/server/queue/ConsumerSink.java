package org.securebroker.server.queue;

import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.DeliverFrame;

/**
 * Where a consumer's deliveries go: its connection. Implementations forward to the channel, which
 * makes writes from the queue threads safe.
 *
 * <p>Thread-safety: implementations must be thread-safe.
 */
public interface ConsumerSink {

    /** Whether the connection is open and its outbound buffer has room. */
    boolean isWritable();

    /**
     * Bytes of unacknowledged deliveries the consumer may hold (its prefetch in bytes, beside its
     * credit in messages); at least one delivery is always allowed.
     */
    default long windowBytes() {
        return Long.MAX_VALUE;
    }

    /** Queues a delivery for writing, without flushing. */
    void deliver(DeliverFrame frame);

    /** Flushes queued deliveries. */
    void flush();

    /**
     * The broker ended the consumer (its queue was deleted): tell the client, which will get no
     * more deliveries for it.
     */
    void cancelled(int consumerId, ErrorCode code, String message);
}
