package org.securebroker.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;

/**
 * Splits the inbound byte stream into frames and decodes each with {@link FrameCodec}, passing
 * {@link org.securebroker.protocol.frame.Frame} objects downstream.
 *
 * <p>The u32 length is checked as soon as its four bytes arrive: a length below
 * {@link FrameCodec#FIXED_HEADER_SIZE} (6)
 * (PROTOCOL_ERROR) or above the current maximum (FRAME_TOO_LARGE) fails immediately, before
 * any of the body is awaited or buffered, so a peer cannot make the decoder hold more than
 * {@code maxFrameSize + 4} bytes of an incomplete frame. Nothing is allocated from the
 * announced length.
 *
 * <p>On the first failure the {@link ProtocolException} is fired through
 * {@code exceptionCaught} (unwrapped) and the decoder discards all further input, so a peer
 * produces at most one error. Closing the connection, after sending ERROR, is up to the
 * session handler. Frames decoded before the failure are passed on first, in order.
 *
 * <p>Memory in transit: after the length passes the limit, a {@link FrameAdmission} is asked
 * whether the frame may be received at all. A refused frame stops the decoder: it turns the
 * channel's {@code autoRead} off, decodes nothing more (what TLS had already decrypted stays
 * buffered, a bounded amount) and, once admission grants the frame, turns {@code autoRead} back
 * on and decodes what it holds, on the event loop. Every frame passed on was admitted, in order.
 *
 * <p>The limit starts at {@link ProtocolLimits#PRE_AUTH_MAX_FRAME_SIZE} unless given, and the
 * session raises it with {@link #setMaxFrameSize(int)} once authentication has completed.
 *
 * <p>The protocol version starts at {@link ProtocolVersion#MIN} (1): until HELLO_OK, only the
 * frames of version 1 are known. The session sets the negotiated version with
 * {@link #setVersion(int)}; a frame type of a later version than the session's is rejected with
 * UNKNOWN_FRAME_TYPE, exactly as an unassigned code.
 *
 * <p>Thread-safety: not {@code @Sharable}; one instance per channel. Decoding runs on the
 * channel's event loop; {@link #setMaxFrameSize(int)} and {@link #setVersion(int)} may be called
 * from any thread and take effect for the next frame decoded.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private volatile int maxFrameSize;
    private volatile int version = ProtocolVersion.MIN;
    private final FrameAdmission admission;
    private boolean failed;
    // both are only touched on the event loop; volatile because the grant that changes them arrives
    // as a task whose thread a static checker cannot see, and isWaitingForAdmission may be read anywhere
    /** The frame whose length field is at the head of the input was admitted. */
    private volatile boolean admitted;
    /** Admission refused the frame at the head and has not granted it yet: nothing is decoded. */
    private volatile boolean waiting;

    /** A decoder limited to {@link ProtocolLimits#PRE_AUTH_MAX_FRAME_SIZE}. */
    public FrameDecoder() {
        this(ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE);
    }

    /**
     * A decoder with the given frame size limit.
     *
     * @throws IllegalArgumentException if the limit is outside
     *     [{@link ProtocolLimits#MIN_FRAME_SIZE_LIMIT}, {@link ProtocolLimits#ABSOLUTE_MAX_FRAME_SIZE}]
     */
    public FrameDecoder(int maxFrameSize) {
        this(maxFrameSize, FrameAdmission.ALL);
    }

    /**
     * A decoder with the given frame size limit that asks {@code admission} before it receives
     * the body of each frame.
     *
     * @throws IllegalArgumentException if the limit is outside
     *     [{@link ProtocolLimits#MIN_FRAME_SIZE_LIMIT}, {@link ProtocolLimits#ABSOLUTE_MAX_FRAME_SIZE}]
     */
    public FrameDecoder(int maxFrameSize, FrameAdmission admission) {
        this.maxFrameSize = ProtocolLimits.requireValidFrameSizeLimit(maxFrameSize);
        this.admission = java.util.Objects.requireNonNull(admission, "admission");
    }

    /**
     * Changes the largest accepted frame size (the value of the length field).
     *
     * @throws IllegalArgumentException if the limit is outside
     *     [{@link ProtocolLimits#MIN_FRAME_SIZE_LIMIT}, {@link ProtocolLimits#ABSOLUTE_MAX_FRAME_SIZE}]
     */
    public void setMaxFrameSize(int maxFrameSize) {
        this.maxFrameSize = ProtocolLimits.requireValidFrameSizeLimit(maxFrameSize);
    }

    /** The largest accepted frame size (the value of the length field). */
    public int maxFrameSize() {
        return maxFrameSize;
    }

    /**
     * Sets the protocol version the session negotiated: frame types of later versions are
     * rejected from the next frame on.
     *
     * @throws IllegalArgumentException if the version is not one this implementation speaks
     */
    public void setVersion(int version) {
        this.version = ProtocolVersion.requireSupported(version);
    }

    /** The protocol version whose frame types are accepted. */
    public int version() {
        return version;
    }

    /** Whether the decoder waits for admission of the next frame (and does not read). */
    public boolean isWaitingForAdmission() {
        return waiting;
    }

    /** Whether the decoder has failed and now discards all input. */
    public boolean hasFailed() {
        return failed;
    }

    /**
     * Bytes received but not yet decoded (an incomplete frame). Never more than
     * {@code maxFrameSize + 3} once a read has been processed. Call on the event loop.
     */
    public int bufferedBytes() {
        return actualReadableBytes();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < FrameCodec.LENGTH_FIELD_SIZE) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        int limit = maxFrameSize;
        if (length < FrameCodec.FIXED_HEADER_SIZE) {
            fail(ctx, in, new ProtocolException(ErrorCode.PROTOCOL_ERROR, "frame length "
                    + length + " is below the minimum of " + FrameCodec.FIXED_HEADER_SIZE));
            return;
        }
        if (length > limit) {
            fail(ctx, in, new ProtocolException(ErrorCode.FRAME_TOO_LARGE, "frame length "
                    + length + " exceeds the limit of " + limit));
            return;
        }
        if (!admitted) {
            if (waiting) {
                return;
            }
            if (!admission.admit((int) length, () -> ctx.executor().execute(() -> resume(ctx)))) {
                waiting = true;
                ctx.channel().config().setAutoRead(false);
                return;
            }
            admitted = true;
        }
        if (in.readableBytes() < FrameCodec.LENGTH_FIELD_SIZE + length) {
            return;
        }
        admitted = false;
        in.skipBytes(FrameCodec.LENGTH_FIELD_SIZE);
        ByteBuf frame = in.readSlice((int) length);
        try {
            out.add(FrameCodec.decode(frame, version));
        } catch (ProtocolException e) {
            fail(ctx, in, e);
        }
    }

    /** The waiting frame was admitted: read again, and decode what is already buffered. */
    private void resume(ChannelHandlerContext ctx) {
        if (!waiting || ctx.isRemoved()) {
            return;
        }
        waiting = false;
        admitted = true;
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.channel().config().setAutoRead(true);
        try {
            // an empty read runs the decode loop over the cumulation without adding to it
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
            channelReadComplete(ctx);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (waiting) {
            // the base class asks for another read when nothing was decoded and autoRead is off;
            // that read is exactly what waiting for admission must not do
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    private void fail(ChannelHandlerContext ctx, ByteBuf in, ProtocolException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        ctx.fireExceptionCaught(e);
    }
}
