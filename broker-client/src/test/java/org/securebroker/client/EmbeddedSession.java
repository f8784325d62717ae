package org.securebroker.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.codec.FrameCodec;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Frame;

/**
 * A {@link Session} over an {@link EmbeddedChannel} without codec, so tests read the frames the
 * client writes as objects, and can measure their exact encoded size.
 */
final class EmbeddedSession implements Session.Owner {

    final EmbeddedChannel channel = new EmbeddedChannel();
    final Session session;
    final List<DeliverFrame> delivered = new ArrayList<>();
    final List<CancelFrame> cancelled = new ArrayList<>();

    EmbeddedSession(int maxFrameSize) {
        this(maxFrameSize, 3);
    }

    EmbeddedSession(int maxFrameSize, int firstCorrelationId) {
        session = new Session(channel, new HandshakeResult(1, maxFrameSize, "embedded", "PLAIN", "alice",
                0, firstCorrelationId), new BrokerAddress("embedded", 1), this);
    }

    /** Frames written and flushed since the last call. */
    List<Frame> written() {
        List<Frame> frames = new ArrayList<>();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            frames.add((Frame) o);
        }
        return frames;
    }

    static <T extends Frame> List<T> ofType(List<Frame> frames, Class<T> type) {
        List<T> result = new ArrayList<>();
        for (Frame f : frames) {
            if (type.isInstance(f)) {
                result.add(type.cast(f));
            }
        }
        return result;
    }

    /** The value of the frame's length field when encoded. */
    static int encodedFrameSize(Frame frame) {
        ByteBuf buf = Unpooled.buffer();
        try {
            FrameCodec.encode(frame, buf);
            return buf.getInt(0);
        } finally {
            buf.release();
        }
    }

    /** How often the session said its channel can take writes again. */
    int writable;

    @Override
    public void onDeliver(Session from, DeliverFrame frame) {
        delivered.add(frame);
    }

    @Override
    public void onCancel(Session from, CancelFrame frame) {
        cancelled.add(frame);
    }

    @Override
    public void onSessionClosed(Session closed, BrokerException reason) {
    }

    @Override
    public void onWritable(Session session) {
        writable++;
    }
}
