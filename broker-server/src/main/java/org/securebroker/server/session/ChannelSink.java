package org.securebroker.server.session;

import io.netty.channel.Channel;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.server.queue.ConsumerSink;

/**
 * Delivers to a connection. Netty hands writes from other threads to the channel's event loop in
 * order.
 *
 * <p>Thread-safety: thread-safe.
 */
final class ChannelSink implements ConsumerSink {

    private final Channel channel;

    ChannelSink(Channel channel) {
        this.channel = channel;
    }

    @Override
    public boolean isWritable() {
        return channel.isActive() && channel.isWritable();
    }

    @Override
    public void deliver(DeliverFrame frame) {
        channel.write(frame, channel.voidPromise());
    }

    @Override
    public void flush() {
        channel.flush();
    }
}
