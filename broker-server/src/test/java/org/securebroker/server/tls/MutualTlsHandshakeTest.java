package org.securebroker.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.securebroker.server.config.BrokerConfig.ClientAuth;
import org.securebroker.server.config.TlsProvider;

/**
 * Real TLS handshakes on loopback: a Netty server using {@link TlsMaterial#context()} (read per
 * connection, as the broker's pipeline does) and a JDK {@link SSLSocket} client, with each
 * provider and each protocol version.
 */
class MutualTlsHandshakeTest {

    @TempDir
    Path dir;

    private EventLoopGroup group;
    private Channel server;
    /** What the server saw of each handshake: null for success, else the failure. */
    private final BlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();

    private record Outcome(Throwable cause, X509Certificate peer) {
    }

    static Stream<Arguments> providersAndProtocols() {
        return Stream.of(TlsProvider.JDK, TlsProvider.OPENSSL)
                .flatMap(p -> Stream.of(Arguments.of(p, "TLSv1.3"), Arguments.of(p, "TLSv1.2")));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private TestPki start(TlsProvider provider, ClientAuth clientAuth) throws InterruptedException {
        assumeTrue(provider != TlsProvider.OPENSSL || OpenSsl.isAvailable(), "OpenSSL does not load here");
        TestPki pki = TestPki.create(dir);
        TlsMaterial material = TlsMaterial.load(pki.tlsConfig(clientAuth, provider), java.time.Clock.systemUTC());
        startServer(material);
        return pki;
    }

    private TlsMaterial material;

    private void startServer(TlsMaterial tls) throws InterruptedException {
        this.material = tls;
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(material.context().newHandler(ch.alloc()), new Echo());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** Answers "OK\n" after a successful handshake, then echoes. */
    private final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    var peers = ctx.pipeline().get(SslHandler.class).engine().getSession();
                    X509Certificate peer = null;
                    try {
                        peer = (X509Certificate) peers.getPeerCertificates()[0];
                    } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                        // optional client authentication without a certificate
                    }
                    outcomes.add(new Outcome(null, peer));
                    ctx.writeAndFlush(Unpooled.copiedBuffer("OK\n", StandardCharsets.US_ASCII));
                } else {
                    outcomes.add(new Outcome(done.cause(), null));
                }
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private SSLSocket connect(TestPki pki, TestPki.Credential client, String protocol) throws IOException {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        SSLSocket socket = (SSLSocket) pki.clientContext(client).getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(5_000);
        socket.setEnabledProtocols(new String[] {protocol});
        return socket;
    }

    /** Whether the server let the client in: it reads the server's "OK" line (TLS 1.3 reports a refusal only then). */
    private static boolean admitted(SSLSocket socket) {
        try {
            socket.startHandshake();
            InputStream in = socket.getInputStream();
            byte[] ok = in.readNBytes(3);
            return new String(ok, StandardCharsets.US_ASCII).equals("OK\n");
        } catch (IOException refused) {
            return false;
        }
    }

    private static boolean echoes(SSLSocket socket) {
        try {
            OutputStream out = socket.getOutputStream();
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readNBytes(4), StandardCharsets.US_ASCII).equals("ping");
        } catch (IOException e) {
            return false;
        }
    }

    private Outcome serverOutcome() throws InterruptedException {
        Outcome outcome = outcomes.poll(5, TimeUnit.SECONDS);
        assertThat(outcome).as("the server saw the handshake end").isNotNull();
        return outcome;
    }

    private static String causes(Throwable t) {
        StringBuilder out = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            out.append(c).append(" | ");
        }
        return out.toString();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndProtocols")
    void shouldAdmitAGoodClientCertificate(TlsProvider provider, String protocol) throws Exception {
        TestPki pki = start(provider, ClientAuth.REQUIRED);
        try (SSLSocket socket = connect(pki, pki.good(), protocol)) {
            assertThat(admitted(socket)).isTrue();
            Outcome outcome = serverOutcome();
            assertThat(outcome.cause()).isNull();
            assertThat(outcome.peer()).isEqualTo(pki.good().certificate());
            assertThat(material.principalMapper().principal(outcome.peer())).contains("alice");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndProtocols")
    void shouldRefuseARevokedCertificate(TlsProvider provider, String protocol) throws Exception {
        TestPki pki = start(provider, ClientAuth.REQUIRED);
        try (SSLSocket socket = connect(pki, pki.revoked(), protocol)) {
            assertThat(admitted(socket)).isFalse();
            Throwable cause = serverOutcome().cause();
            assertThat(causes(cause)).contains("client certificate CN=revoked: revoked on");
            // whatever the TLS library wraps it in, the refusal is still known as a revocation
            assertThat(RevokedCertificateException.in(cause)).hasValueSatisfying(r -> assertThat(r.reason())
                    .isEqualTo("certificate revoked (serial " + pki.revoked().certificate().getSerialNumber().toString(16)
                            + ", issuer " + pki.caCertificate().getSubjectX500Principal().getName() + ")"));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndProtocols")
    void shouldRefuseACertificateOfAnotherCa(TlsProvider provider, String protocol) throws Exception {
        TestPki pki = start(provider, ClientAuth.REQUIRED);
        try (SSLSocket socket = connect(pki, pki.untrusted(), protocol)) {
            assertThat(admitted(socket)).isFalse();
            assertThat(causes(serverOutcome().cause())).contains("not issued by the configured client CA");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndProtocols")
    void shouldRefuseAClientWithoutCertificateWhenRequired(TlsProvider provider, String protocol)
            throws Exception {
        TestPki pki = start(provider, ClientAuth.REQUIRED);
        try (SSLSocket socket = connect(pki, null, protocol)) {
            assertThat(admitted(socket)).isFalse();
            assertThat(serverOutcome().cause()).isNotNull();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndProtocols")
    void shouldAdmitAClientWithoutCertificateWhenOptionalButStillCheckOnesThatArePresented(
            TlsProvider provider, String protocol) throws Exception {
        TestPki pki = start(provider, ClientAuth.OPTIONAL);
        try (SSLSocket socket = connect(pki, null, protocol)) {
            assertThat(admitted(socket)).isTrue();
            assertThat(serverOutcome().peer()).isNull();
        }
        try (SSLSocket socket = connect(pki, pki.expired(), protocol)) {
            assertThat(admitted(socket)).isFalse();
            assertThat(causes(serverOutcome().cause())).contains("CN=expired: expired on");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndProtocols")
    void shouldApplyARevocationToNewConnectionsAndLeaveExistingOnesAlone(TlsProvider provider, String protocol)
            throws Exception {
        TestPki pki = start(provider, ClientAuth.REQUIRED);
        try (SSLSocket before = connect(pki, pki.good(), protocol)) {
            assertThat(admitted(before)).isTrue();
            serverOutcome();

            pki.writeCrl(pki.crlFile(), pki.now(), pki.now().plus(Duration.ofDays(7)), pki.revoked().certificate(),
                    pki.good().certificate());
            assertThat(material.reloadIfChanged()).isTrue();
            assertThat(material.clientVerifier().orElseThrow().revocation(pki.good().chain()))
                    .as("the open connection's certificate is found revoked by the new CRL").isPresent();
            assertThat(material.clientVerifier().orElseThrow().revocation(pki.withSans().chain())).isEmpty();

            try (SSLSocket after = connect(pki, pki.good(), protocol)) {
                assertThat(admitted(after)).isFalse();
                assertThat(causes(serverOutcome().cause())).contains("CN=alice: revoked on");
            }
            assertThat(echoes(before)).as("the connection made before the reload continues").isTrue();
        }
    }
}
