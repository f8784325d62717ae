package org.securebroker.server.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: HTTPS (the broker's TLS material and client-certificate policy, never
 * plaintext) on its own port, loopback unless configured otherwise, answering
 *
 * <ul>
 *   <li>{@code GET /livez}: 200 while the process serves requests;</li>
 *   <li>{@code GET /readyz}: 200 when the broker can take traffic (store writable, listener up,
 *       audit log writable), else 503 listing what is not; either way the body also lists what
 *       is wrong without making the broker unready (queues that are unavailable), see
 *       {@link Readiness};</li>
 *   <li>{@code GET /metrics}: the Prometheus text format, to scrapers that {@link MetricsGate} lets
 *       in (401 with a Basic challenge, 403 or 429 otherwise); open to anyone only with
 *       {@code admin.metricsAuthentication: none}.</li>
 * </ul>
 *
 * {@code /livez} and {@code /readyz} need no authentication: they say only whether the broker
 * works, for orchestrators that probe without credentials.
 *
 * Anything else is 404 (405 for another method). Requests are small (8 KiB at most) and a
 * connection idle for 30 s is closed.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final EventLoopGroup group;
    private final Channel channel;

    private AdminServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Starts listening.
     *
     * @param tls the TLS context to use for each new connection (the current one after a reload)
     * @param readiness whether the broker is ready, and why not
     * @throws InterruptedException if interrupted while binding
     */
    public static AdminServer start(String host, int port, Supplier<SslContext> tls, Supplier<Readiness> readiness,
                                    BrokerMetrics metrics, MetricsGate gate) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("broker-admin", true),
                NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                                .addLast(tls.get().newHandler(ch.alloc()))
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(8192))
                                .addLast(new Handler(readiness, metrics, gate));
                    }
                });
        try {
            Channel channel = bootstrap.bind(host, port).sync().channel();
            LOG.info("admin listener on https://{}:{} (/livez, /readyz, /metrics)", host,
                    ((InetSocketAddress) channel.localAddress()).getPort());
            return new AdminServer(group, channel);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Supplier<Readiness> readiness;
        private final BrokerMetrics metrics;
        private final MetricsGate gate;

        Handler(Supplier<Readiness> readiness, BrokerMetrics metrics, MetricsGate gate) {
            this.readiness = readiness;
            this.metrics = metrics;
            this.gate = gate;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.decoderResult().isSuccess()) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8", "bad request\n");
                return;
            }
            String path = new QueryStringDecoder(request.uri()).path();
            if (!request.method().equals(HttpMethod.GET)) {
                respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "only GET\n");
                return;
            }
            switch (path) {
                case "/livez" -> respond(ctx, HttpResponseStatus.OK, "text/plain; charset=utf-8", "ok\n");
                case "/readyz" -> {
                    Readiness r = readiness.get();
                    respond(ctx, r.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "text/plain; charset=utf-8", r.body());
                }
                case "/metrics" -> metrics(ctx, request.headers().get(HttpHeaderNames.AUTHORIZATION));
                default -> respond(ctx, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8",
                        "not found; try /livez, /readyz or /metrics\n");
            }
        }

        /** Serves the metrics once the gate lets the scraper in; the gate's answer may come from the hashing pool. */
        private void metrics(ChannelHandlerContext ctx, String authorization) {
            InetAddress address = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
            gate.check(address, peerCertificates(ctx), authorization).whenComplete((verdict, error) ->
                    ctx.executor().execute(() -> {
                        if (error != null) {
                            LOG.warn("could not check who asks for /metrics: {}", error.getMessage());
                            respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                                    "cannot check credentials now\n");
                        } else if (verdict.allowed()) {
                            respond(ctx, HttpResponseStatus.OK, PROMETHEUS_TEXT, metrics.scrape());
                        } else {
                            respond(ctx, HttpResponseStatus.valueOf(verdict.status()), "text/plain; charset=utf-8",
                                    verdict.message() + "\n");
                        }
                    }));
        }

        /** The client certificate chain the TLS handshake verified; empty if the scraper sent none. */
        private static List<X509Certificate> peerCertificates(ChannelHandlerContext ctx) {
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl == null) {
                return List.of();
            }
            try {
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate c : ssl.engine().getSession().getPeerCertificates()) {
                    if (c instanceof X509Certificate x) {
                        chain.add(x);
                    }
                }
                return chain;
            } catch (SSLPeerUnverifiedException e) {
                return List.of();
            }
        }

        private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String type, String body) {
            ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            if (status.code() == 401) {
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, MetricsGate.CHALLENGE);
            }
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                    .set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("admin connection from {} failed: {}", ctx.channel().remoteAddress(), cause.getMessage());
            ctx.close();
        }
    }
}
