package org.securebroker.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.codec.FrameEncoder;
import org.securebroker.protocol.frame.Frame;

/**
 * A man in the middle for tests: it terminates the client's TLS with the broker's own
 * certificate and key (an attacker who has them, or a compromised middlebox), opens its own TLS
 * connection to the broker, passes the client's bytes through untouched and rewrites the
 * broker's frames on the way back.
 */
final class TamperingProxy implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    /**
     * @param rewrite applied to every frame from the broker to the client
     */
    TamperingProxy(int brokerPort, Path dataDir, UnaryOperator<Frame> rewrite) throws Exception {
        SslContext front = SslContextBuilder.forServer(dataDir.resolve("tls/server.crt").toFile(),
                dataDir.resolve("tls/server.key").toFile()).protocols("TLSv1.3").build();
        SslContext back = SslContextBuilder.forClient().trustManager(dataDir.resolve("tls/ca.crt").toFile())
                .protocols("TLSv1.3").build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        client.pipeline().addLast(front.newHandler(client.alloc()));
                        client.pipeline().addLast(new ToBroker(brokerPort, back, rewrite));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Client side: opens the broker connection, then relays the client's bytes to it. */
    private final class ToBroker extends ChannelInboundHandlerAdapter {
        private final int brokerPort;
        private final SslContext ssl;
        private final UnaryOperator<Frame> rewrite;
        private Channel broker;
        private final java.util.List<Object> early = new java.util.ArrayList<>();

        ToBroker(int brokerPort, SslContext ssl, UnaryOperator<Frame> rewrite) {
            this.brokerPort = brokerPort;
            this.ssl = ssl;
            this.rewrite = rewrite;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "localhost", brokerPort));
                            ch.pipeline().addLast(new FrameDecoder(64 << 20));
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext c, Object msg) {
                                    client.writeAndFlush(rewrite.apply((Frame) msg));
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext c) {
                                    client.close();
                                }
                            });
                        }
                    })
                    .connect("127.0.0.1", brokerPort).addListener(f -> {
                        if (f.isSuccess()) {
                            client.eventLoop().execute(() -> {
                                broker = ((io.netty.channel.ChannelFuture) f).channel();
                                early.forEach(broker::write);
                                early.clear();
                                broker.flush();
                            });
                        } else {
                            client.close();
                        }
                    });
            // frames to the client are encoded here; bytes from the client pass as they are
            client.pipeline().addBefore(ctx.name(), "encoder", new FrameEncoder());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (broker == null) {
                early.add(msg);
            } else {
                broker.writeAndFlush(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
