package org.securebroker.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.codec.FrameEncoder;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;

/**
 * A bare protocol connection over TLS for tests that need to send exactly the frames (or bytes)
 * they choose and see exactly what comes back.
 */
public final class RawConnection implements AutoCloseable {

    /** Marks that the server closed the connection. */
    public static final Object CLOSED = new Object();

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private final Channel channel;
    private final FrameDecoder decoder = new FrameDecoder(ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE);

    private RawConnection(String host, int port, SslContext ssl) throws InterruptedException {
        this(host, port, ssl, null);
    }

    private RawConnection(String host, int port, SslContext ssl, java.net.InetAddress localAddress)
            throws InterruptedException {
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (ssl != null) {
                    ch.pipeline().addLast(ssl.newHandler(ch.alloc(), host, port));
                }
                ch.pipeline().addLast(decoder).addLast(FrameEncoder.INSTANCE).addLast(new SimpleChannelInboundHandler<Frame>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Frame msg) {
                        received.add(msg);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        received.add(CLOSED);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        received.add(cause);
                    }
                });
            }
        });
        Channel connected = null;
        try {
            connected = (localAddress == null ? b.connect(host, port)
                    : b.connect(new java.net.InetSocketAddress(host, port), new java.net.InetSocketAddress(localAddress, 0)))
                    .sync().channel();
            if (ssl != null) {
                connected.pipeline().get(SslHandler.class).handshakeFuture().sync();
            }
        } catch (Throwable e) { // sync() also rethrows the handshake's checked SSLException undeclared
            // a refused handshake must not leave the event loop running
            if (connected != null) {
                connected.close().awaitUninterruptibly();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        this.channel = connected;
    }

    /** A TLS connection trusting {@code caCert}. */
    public static RawConnection tls(int port, Path caCert) throws Exception {
        SslContext ssl = SslContextBuilder.forClient().trustManager(caCert.toFile()).protocols("TLSv1.3", "TLSv1.2").build();
        return new RawConnection("localhost", port, ssl);
    }

    /**
     * A TLS connection from a chosen loopback source address (any of 127.0.0.0/8 on Linux), to
     * act as several clients on one machine.
     */
    public static RawConnection tls(int port, Path caCert, java.net.InetAddress from) throws Exception {
        SslContext ssl = SslContextBuilder.forClient().trustManager(caCert.toFile()).protocols("TLSv1.3", "TLSv1.2").build();
        return new RawConnection("127.0.0.1", port, ssl, from);
    }

    /**
     * A TLS connection with a client context of the caller's choosing (for instance one that
     * presents a client certificate). Fails if the handshake fails; with TLS 1.3 a refused client
     * certificate may only show afterwards, as an error or a close instead of the first answer.
     */
    public static RawConnection tls(int port, SslContext clientContext) throws Exception {
        return new RawConnection("localhost", port, clientContext);
    }

    /** A plaintext connection (which the broker must refuse). */
    public static RawConnection plaintext(int port) throws Exception {
        return new RawConnection("localhost", port, null);
    }

    public void send(Frame frame) {
        channel.writeAndFlush(frame);
    }

    public void sendBytes(byte[] bytes) {
        channel.writeAndFlush(channel.alloc().buffer().writeBytes(bytes));
    }

    /** The next frame, {@link #CLOSED}, or a decoding exception; fails after 10 s. */
    public Object next() throws InterruptedException {
        Object o = received.poll(10, TimeUnit.SECONDS);
        if (o == null) {
            throw new AssertionError("nothing received within 10 s");
        }
        return o;
    }

    public <T extends Frame> T expect(Class<T> type) throws InterruptedException {
        return expect(type, next());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Frame> T expect(Class<T> type, Object o) {
        if (!type.isInstance(o)) {
            throw new AssertionError("expected " + type.getSimpleName() + " but got " + o);
        }
        return (T) o;
    }

    /** HELLO and PLAIN authentication. */
    public AuthOkFrame login(String user, String password) throws InterruptedException {
        return expect(AuthOkFrame.class, attempt(user, password));
    }

    /** HELLO and a PLAIN attempt; returns what came back (AUTH_OK, ERROR, ...). */
    public Object attempt(String user, String password) throws InterruptedException {
        hello();
        send(new AuthFrame(2, "PLAIN", Bytes.copyOf(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8))));
        return next();
    }

    /** HELLO; raises the local frame limit. */
    public HelloOkFrame hello() throws InterruptedException {
        send(new HelloFrame(1, 1, 1, ProtocolLimits.DEFAULT_MAX_FRAME_SIZE, "test"));
        HelloOkFrame ok = expect(HelloOkFrame.class);
        decoder.setMaxFrameSize(ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE);
        return ok;
    }

    /** HELLO offering versions 1 to 2 and a PLAIN login; the local decoder takes the version agreed. */
    public HelloOkFrame loginVersion2(String user, String password) throws InterruptedException {
        send(new HelloFrame(1, 1, 2, ProtocolLimits.DEFAULT_MAX_FRAME_SIZE, "test"));
        HelloOkFrame ok = expect(HelloOkFrame.class);
        decoder.setMaxFrameSize(ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE);
        decoder.setVersion(ok.version());
        send(new AuthFrame(2, "PLAIN", Bytes.copyOf(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8))));
        expect(AuthOkFrame.class);
        return ok;
    }

    /** The certificate the server presented in this connection's handshake. */
    public X509Certificate serverCertificate() throws SSLPeerUnverifiedException {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls == null) {
            throw new IllegalStateException("a plaintext connection has no server certificate");
        }
        return (X509Certificate) tls.engine().getSession().getPeerCertificates()[0];
    }

    /**
     * Stops reading from the socket, as a consumer that hangs would: what the broker sends then
     * fills the TCP buffers and stays in the broker.
     */
    public void stopReading() {
        channel.config().setAutoRead(false);
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
