package org.securebroker.server.session;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.server.queue.ConsumerSink;

/**
 * Delivers to a connection. Deliveries are collected on the queue's thread and handed to the
 * channel's event loop in one task per flush, rather than one cross-thread task per message.
 *
 * <p>Memory: every delivery handed over counts in the connection's {@link DeliveryBuffer} until
 * the socket write of its batch completes (one listener per batch, on the batch's last write:
 * writes complete in order), and the sink is not writable while that buffer has no room.
 *
 * <p>Thread-safety: {@link #deliver} and {@link #flush} are called by one thread at a time (the
 * queue's serial executor); {@link #isWritable} from any thread.
 */
final class ChannelSink implements ConsumerSink {

    /** Delivery fields beside payload, headers and signatures, rounded up: an estimate, not the wire size. */
    private static final int FRAME_OVERHEAD = 128;

    private final Channel channel;
    private final SessionHandler session;
    private final DeliveryBuffer buffer;
    private final long windowBytes;
    private List<DeliverFrame> pending = new ArrayList<>();
    private long pendingBytes;

    ChannelSink(Channel channel, SessionHandler session, DeliveryBuffer buffer, long windowBytes) {
        this.channel = channel;
        this.session = session;
        this.buffer = buffer;
        this.windowBytes = windowBytes;
    }

    @Override
    public void cancelled(int consumerId, ErrorCode code, String message) {
        channel.eventLoop().execute(() -> session.consumerCancelled(consumerId, code, message));
    }

    @Override
    public boolean isWritable() {
        return channel.isActive() && channel.isWritable() && buffer.hasRoom();
    }

    @Override
    public long windowBytes() {
        return windowBytes;
    }

    @Override
    public void deliver(DeliverFrame frame) {
        long size = size(frame);
        pending.add(frame);
        pendingBytes += size;
        buffer.added(size);
    }

    /** What a delivery holds in the outbound buffer, near enough for a memory bound. */
    static long size(DeliverFrame f) {
        return FRAME_OVERHEAD + WireSizes.publishMessageSize(f.producerId().length(), f.headers(), f.payload().length())
                + f.queue().length() + f.producerPrincipal().length() + f.producerSignature().length()
                + f.brokerSignature().length();
    }

    @Override
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        List<DeliverFrame> batch = pending;
        long bytes = pendingBytes;
        pending = new ArrayList<>(Math.max(16, batch.size()));
        pendingBytes = 0;
        try {
            channel.eventLoop().execute(() -> write(batch, bytes));
        } catch (RejectedExecutionException e) {
            // the event loop is shutting down: nothing of the batch will be written
            buffer.written(bytes);
        }
    }

    private void write(List<DeliverFrame> batch, long bytes) {
        // one sink per consumer: if it was cancelled after the queue handed over this batch, none of it goes out
        if (!session.delivering(batch.get(0).consumerId())) {
            buffer.written(bytes);
            return;
        }
        int last = batch.size() - 1;
        for (int i = 0; i < last; i++) {
            channel.write(batch.get(i), channel.voidPromise());
        }
        // fails too when an earlier write of the batch failed or the channel closed: the bytes are freed either way
        channel.write(batch.get(last)).addListener(done -> buffer.written(bytes));
        session.delivered(batch.size());
        channel.flush();
    }
}
