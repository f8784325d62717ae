package org.securebroker.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import org.securebroker.protocol.frame.Frame;

/**
 * Encodes outbound {@link Frame} objects with {@link FrameCodec#encode(Frame, ByteBuf)}.
 *
 * <p>A frame that violates a wire limit fails its write promise with an
 * {@link io.netty.handler.codec.EncoderException} whose cause is the
 * {@link IllegalArgumentException}; nothing is written for it.
 *
 * <p>Thread-safety: stateless and {@code @Sharable}; one instance may serve all channels.
 */
@Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {

    /** A shared instance. */
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    /** Creates an encoder; prefer {@link #INSTANCE}. */
    public FrameEncoder() {
        super(Frame.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Frame frame, boolean preferDirect) {
        int hint = FrameCodec.sizeHint(frame);
        return preferDirect ? ctx.alloc().ioBuffer(hint) : ctx.alloc().heapBuffer(hint);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, ByteBuf out) {
        FrameCodec.encode(frame, out);
    }
}
