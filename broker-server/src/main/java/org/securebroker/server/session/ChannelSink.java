package org.securebroker.server.session;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.server.queue.ConsumerSink;

/**
 * Delivers to a connection. Deliveries are collected on the queue's thread and handed to the
 * channel's event loop in one task per flush, rather than one cross-thread task per message.
 *
 * <p>Thread-safety: {@link #deliver} and {@link #flush} are called by one thread at a time (the
 * queue's serial executor); {@link #isWritable} from any thread.
 */
final class ChannelSink implements ConsumerSink {

    private final Channel channel;
    private final SessionHandler session;
    private List<DeliverFrame> pending = new ArrayList<>();

    ChannelSink(Channel channel, SessionHandler session) {
        this.channel = channel;
        this.session = session;
    }

    @Override
    public void cancelled(int consumerId, ErrorCode code, String message) {
        channel.eventLoop().execute(() -> session.consumerCancelled(consumerId, code, message));
    }

    @Override
    public boolean isWritable() {
        return channel.isActive() && channel.isWritable();
    }

    @Override
    public void deliver(DeliverFrame frame) {
        pending.add(frame);
    }

    @Override
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        List<DeliverFrame> batch = pending;
        pending = new ArrayList<>(Math.max(16, batch.size()));
        channel.eventLoop().execute(() -> {
            // one sink per consumer: if it was cancelled after the queue handed over this batch, none of it goes out
            if (!session.delivering(batch.get(0).consumerId())) {
                return;
            }
            for (DeliverFrame frame : batch) {
                channel.write(frame, channel.voidPromise());
            }
            session.delivered(batch.size());
            channel.flush();
        });
    }
}
