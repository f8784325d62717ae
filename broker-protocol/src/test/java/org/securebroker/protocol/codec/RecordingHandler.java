package org.securebroker.protocol.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.frame.Frame;

/** Test handler placed after the decoder: records every frame and every exception. */
final class RecordingHandler extends ChannelInboundHandlerAdapter {

    final List<Frame> frames = new ArrayList<>();
    final List<Throwable> exceptions = new ArrayList<>();
    final List<Object> others = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Frame frame) {
            frames.add(frame);
        } else {
            others.add(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        exceptions.add(cause);
    }
}
