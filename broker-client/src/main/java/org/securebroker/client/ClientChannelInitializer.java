package org.securebroker.client;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.codec.FrameEncoder;

/**
 * The client pipeline, in data-path order:
 * {@code tls (SslHandler) -> frame-decoder (FrameDecoder, 64 KiB until AUTH_OK) -> frame-encoder
 * (FrameEncoder) -> connection (ConnectionHandler)}.
 *
 * <p>Thread-safety: one instance per connection attempt; Netty calls it on the channel's event
 * loop.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {

    static final String TLS = "tls";
    static final String FRAME_DECODER = "frame-decoder";
    static final String FRAME_ENCODER = "frame-encoder";
    static final String CONNECTION = "connection";

    private final SslContext sslContext;
    private final BrokerAddress address;
    private final long handshakeTimeoutMillis;
    private final ConnectionHandler connectionHandler;

    ClientChannelInitializer(SslContext sslContext, BrokerAddress address,
                             long handshakeTimeoutMillis, ConnectionHandler connectionHandler) {
        this.sslContext = sslContext;
        this.address = address;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.connectionHandler = connectionHandler;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        // The host given here is both the SNI name and the name checked against the certificate.
        SslHandler tls = sslContext.newHandler(ch.alloc(), address.host(), address.port());
        tls.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        ChannelPipeline p = ch.pipeline();
        p.addLast(TLS, tls);
        p.addLast(FRAME_DECODER, new FrameDecoder());
        p.addLast(FRAME_ENCODER, FrameEncoder.INSTANCE);
        p.addLast(CONNECTION, connectionHandler);
    }
}
