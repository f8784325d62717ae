package org.securebroker.server.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.FrameCodec;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.server.session.ConnectionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every connection: it looks at the first bytes and, if they begin a TLS
 * record, replaces itself with the {@link SslHandler}. Anything else is a plaintext client: it
 * gets one cleartext ERROR frame ({@code TLS_REQUIRED}, which reveals nothing) and is
 * disconnected. A connection that sends nothing is closed after the handshake timeout.
 *
 * <p>Thread-safety: not sharable; one instance per channel, used on its event loop.
 */
final class TlsRequiredHandler extends ByteToMessageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(TlsRequiredHandler.class);
    private static final int TLS_RECORD_HEADER = 5;

    private final SslContext sslContext;
    private final long handshakeTimeoutMillis;
    private final ConnectionListener listener;
    private ScheduledFuture<?> timeout;

    TlsRequiredHandler(SslContext sslContext, long handshakeTimeoutMillis, ConnectionListener listener) {
        this.sslContext = sslContext;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            LOG.debug("{}: no TLS handshake within {} ms; closing", ctx.channel().remoteAddress(), handshakeTimeoutMillis);
            listener.handshakeFailed(ctx.channel(), "no TLS handshake in time");
            ctx.close();
        }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < TLS_RECORD_HEADER) {
            return;
        }
        if (SslHandler.isEncrypted(in, false)) {
            // with the peer's address, so the client certificate verifier can say whom it refused
            SslHandler tls = ctx.channel().remoteAddress() instanceof InetSocketAddress peer
                    ? sslContext.newHandler(ctx.alloc(), peer.getHostString(), peer.getPort())
                    : sslContext.newHandler(ctx.alloc());
            tls.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
            ctx.pipeline().replace(this, Pipeline.TLS, tls);
            return;
        }
        LOG.info("{}: refused a plaintext connection (TLS is required)", ctx.channel().remoteAddress());
        listener.handshakeFailed(ctx.channel(), "plaintext client");
        in.skipBytes(in.readableBytes());
        ByteBuf reply = ctx.alloc().buffer(64);
        FrameCodec.encode(new ErrorFrame(0, ErrorCode.TLS_REQUIRED.code(),
                "this port accepts TLS only (TLS 1.3 or 1.2); connect with TLS"), reply);
        ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
    }
}
