package org.securebroker.client.fake;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLException;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.codec.FrameEncoder;
import org.securebroker.protocol.frame.AuthChallengeFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.AuthResponseFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.frame.QueueListFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.BrowsedMessage;
import org.securebroker.protocol.frame.PurgeOkFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscriptionListFrame;

/**
 * A scriptable broker for client tests: a Netty TLS server on 127.0.0.1 speaking the real
 * codec. It performs HELLO and AUTH with the offered mechanisms: PLAIN and SCRAM-SHA-256
 * against configured credentials (SCRAM computed with the shared {@link Scram} primitives, with
 * hooks to tamper with the server's messages), JWT with opaque tokens that a predicate accepts
 * and sessions that expire when a function of the token says (ended with SESSION_EXPIRED unless
 * re-authenticated), and EXTERNAL from the verified client certificate (see
 * {@link #startRequiringClientCertificates}). It records every frame it receives after AUTH_OK
 * (with the number of the connection it came on), and answers requests with defaults that tests
 * may override per frame type: PUBLISH_OK with increasing offsets (de-duplicating producer id
 * and sequence), SUBSCRIBE_OK with broker-wide increasing consumer ids, OK for admin requests,
 * AUTH_OK or ERROR for a JWT re-authentication, PONG for PING; for the version-2 requests an empty
 * SUBSCRIPTION_LIST, OK, PURGE_OK 0, an empty BROWSE_RESULT and SEEK_OK at the offset asked for.
 * It negotiates the highest version it is configured to speak (by default the codec's highest).
 *
 * <p>Thread-safety: configuration and inspection methods may be called from the test thread
 * while the server runs.
 */
public final class FakeBroker implements AutoCloseable {

    /** A frame the broker received on authenticated connection number {@code connection} (from 1). */
    public record Received(int connection, Frame frame) {
    }

    /** The four messages of a SCRAM exchange, as sent and received by the broker. */
    public record ScramTranscript(String clientFirst, String serverFirst, String clientFinal, String serverFinal) {
    }

    /** A PUBLISH held back by {@link #holdPublishes()}, with the channel it came on. */
    private record Held(Channel channel, PublishFrame frame) {
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel serverChannel;
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final List<byte[]> authResponses = Collections.synchronizedList(new ArrayList<>());
    private final List<HelloFrame> hellos = Collections.synchronizedList(new ArrayList<>());
    private final List<AuthFrame> authFrames = Collections.synchronizedList(new ArrayList<>());
    private final List<ScramTranscript> scramTranscripts = Collections.synchronizedList(new ArrayList<>());
    private final List<X509Certificate> clientCertificates = Collections.synchronizedList(new ArrayList<>());
    private final byte[] scramSalt = new byte[16];
    private final AtomicInteger expiredSessions = new AtomicInteger();
    private final List<Held> held = Collections.synchronizedList(new ArrayList<>());
    private final Map<FrameType, Function<Frame, List<Frame>>> responders = new ConcurrentHashMap<>();
    private final Map<String, Long> stored = new ConcurrentHashMap<>();
    private final AtomicLong nextOffset = new AtomicLong();
    private final AtomicInteger nextConsumerId = new AtomicInteger(1);
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Channel latest;
    private volatile String username = "alice";
    private volatile String password = "s3cret";
    private volatile List<String> mechanisms = List.of("PLAIN");
    private volatile int maxFrameSize = ProtocolLimits.DEFAULT_MAX_FRAME_SIZE;
    private volatile int maxVersion = ProtocolVersion.MAX;
    private volatile boolean holdPublishes;
    private volatile boolean dropPublishAcks;
    private volatile int lastConsumerId;
    private volatile Frame helloAnswer;
    private volatile UnaryOperator<String> serverFirstRewrite = UnaryOperator.identity();
    private volatile UnaryOperator<String> serverFinalRewrite = UnaryOperator.identity();
    private volatile Predicate<String> tokenAcceptor = token -> !token.startsWith("rejected");
    private volatile ToLongFunction<String> sessionExpiry = token -> 0;

    private FakeBroker(TestPki.ServerIdentity identity, Optional<X509Certificate> clientCa)
            throws SSLException, InterruptedException {
        SslContextBuilder tlsBuilder = SslContextBuilder.forServer(identity.key(), identity.certificate(), identity.ca())
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2");
        clientCa.ifPresent(ca -> tlsBuilder.trustManager(ca).clientAuth(ClientAuth.REQUIRE));
        SslContext tls = tlsBuilder.build();
        new SecureRandom().nextBytes(scramSalt);
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        ch.pipeline().addLast("frame-decoder", new FrameDecoder());
                        ch.pipeline().addLast("frame-encoder", FrameEncoder.INSTANCE);
                        ch.pipeline().addLast("broker", new BrokerHandler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** Starts a broker presenting {@code identity}. */
    public static FakeBroker start(TestPki.ServerIdentity identity) {
        try {
            return new FakeBroker(identity, Optional.empty());
        } catch (SSLException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts a broker that requires a TLS client certificate issued by {@code clientCa}, and
     * offers EXTERNAL only.
     */
    public static FakeBroker startRequiringClientCertificates(TestPki.ServerIdentity identity,
                                                              X509Certificate clientCa) {
        try {
            FakeBroker broker = new FakeBroker(identity, Optional.of(clientCa));
            broker.mechanisms("EXTERNAL");
            return broker;
        } catch (SSLException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    // ------------------------------------------------------------ configuration

    public void credentials(String user, String pass) {
        this.username = user;
        this.password = pass;
    }

    public void mechanisms(String... names) {
        this.mechanisms = List.of(names);
    }

    public void maxFrameSize(int size) {
        this.maxFrameSize = size;
    }

    /** The highest protocol version this broker speaks (an older broker speaks only 1). */
    public void maxVersion(int version) {
        this.maxVersion = version;
    }

    /** Rewrites each SCRAM server-first-message before it is sent (and used in the AuthMessage). */
    public void rewriteScramServerFirst(UnaryOperator<String> rewrite) {
        this.serverFirstRewrite = rewrite;
    }

    /** Rewrites each SCRAM server-final-message (AUTH_OK's additional data) before it is sent. */
    public void rewriteScramServerFinal(UnaryOperator<String> rewrite) {
        this.serverFinalRewrite = rewrite;
    }

    /** Which JWT tokens are valid; by default all but those starting with "rejected". */
    public void acceptTokens(Predicate<String> acceptor) {
        this.tokenAcceptor = acceptor;
    }

    /** The session expiry (epoch ms, 0 = never) a valid token grants; by default 0. */
    public void sessionExpiry(ToLongFunction<String> expiry) {
        this.sessionExpiry = expiry;
    }

    /** Answers HELLO with {@code frame} (its correlation id is replaced) instead of HELLO_OK. */
    public void answerHelloWith(Frame frame) {
        this.helloAnswer = frame;
    }

    /** Answers frames of {@code type} with {@code responder}'s frames (empty = no answer). */
    public void respond(FrameType type, Function<Frame, List<Frame>> responder) {
        responders.put(type, responder);
    }

    /** Stops answering PUBLISH until {@link #releasePublishes()}. */
    public void holdPublishes() {
        holdPublishes = true;
    }

    /** Stops holding PUBLISH frames and forgets the held ones (as if their answers were lost). */
    public void stopHolding() {
        holdPublishes = false;
        held.clear();
    }

    /** Stores published messages but never answers PUBLISH (the acknowledgement is lost). */
    public void storeButDropPublishAcks(boolean drop) {
        dropPublishAcks = drop;
    }

    /** The consumer id of the latest SUBSCRIBE_OK sent by the default responder. */
    public int lastConsumerId() {
        return lastConsumerId;
    }

    /** Answers every held PUBLISH still on an open connection, and stops holding. */
    public void releasePublishes() {
        holdPublishes = false;
        List<Held> toRelease;
        synchronized (held) {
            toRelease = new ArrayList<>(held);
            held.clear();
        }
        for (Held h : toRelease) {
            if (h.channel().isActive()) {
                h.channel().writeAndFlush(publishOk(h.frame()));
            }
        }
    }

    // ------------------------------------------------------------ inspection

    public List<Received> received() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }

    /** Frames of {@code type} received on any connection, in order. */
    public <T extends Frame> List<T> received(Class<T> type) {
        List<T> result = new ArrayList<>();
        for (Received r : received()) {
            if (type.isInstance(r.frame())) {
                result.add(type.cast(r.frame()));
            }
        }
        return result;
    }

    /** Frames of {@code type} received on connection {@code connection}. */
    public <T extends Frame> List<T> received(int connection, Class<T> type) {
        List<T> result = new ArrayList<>();
        for (Received r : received()) {
            if (r.connection() == connection && type.isInstance(r.frame())) {
                result.add(type.cast(r.frame()));
            }
        }
        return result;
    }

    /** Messages received in PUBLISH frames on any connection, in order. */
    public List<PublishMessage> publishedMessages() {
        List<PublishMessage> all = new ArrayList<>();
        for (PublishFrame f : received(PublishFrame.class)) {
            all.addAll(f.messages());
        }
        return all;
    }

    public List<byte[]> authResponses() {
        synchronized (authResponses) {
            return new ArrayList<>(authResponses);
        }
    }

    /** AUTH frames received before AUTH_OK, on every connection, in order. */
    public List<AuthFrame> authFrames() {
        synchronized (authFrames) {
            return new ArrayList<>(authFrames);
        }
    }

    /** Completed or attempted SCRAM exchanges that reached the client-final-message. */
    public List<ScramTranscript> scramTranscripts() {
        synchronized (scramTranscripts) {
            return new ArrayList<>(scramTranscripts);
        }
    }

    /** The client certificates presented on connections that sent AUTH, in order. */
    public List<X509Certificate> clientCertificates() {
        synchronized (clientCertificates) {
            return new ArrayList<>(clientCertificates);
        }
    }

    /** Sessions this broker ended with SESSION_EXPIRED. */
    public int expiredSessions() {
        return expiredSessions.get();
    }

    public List<HelloFrame> hellos() {
        synchronized (hellos) {
            return new ArrayList<>(hellos);
        }
    }

    public int heldPublishCount() {
        return held.size();
    }

    /** Connections that completed authentication so far. */
    public int authenticatedConnections() {
        return connections.get();
    }

    // ------------------------------------------------------------ signing

    private final FakeSigner signer = new FakeSigner();
    private final List<PublishMessage> published = new java.util.concurrent.CopyOnWriteArrayList<>();

    // ------------------------------------------------------------ actions

    /** Sends {@code frame} on the most recently authenticated connection. */
    public void send(Frame frame) {
        Channel ch = latest;
        if (ch == null) {
            throw new IllegalStateException("no authenticated connection");
        }
        ch.writeAndFlush(frame);
    }

    /** Sends a signed DELIVER with a UTF-8 payload on the latest connection. */
    public void deliver(int consumerId, String queue, long offset, String payload) {
        send(signed(new DeliverFrame(consumerId, queue, offset, 1, System.currentTimeMillis(), "bob",
                "p-0000000000000000", offset + 1, Headers.EMPTY, Bytes.utf8(payload), Bytes.EMPTY,
                Bytes.EMPTY)));
    }

    /** The public key this fake signs deliveries and receipts with. */
    public KeySet signingKeys() {
        return signer.keys();
    }

    /** {@code f} with this fake's broker signature. */
    public DeliverFrame signed(DeliverFrame f) {
        return signer.signed(f);
    }

    /** {@code m}, a message of {@code queue}, with this fake's broker signature. */
    public BrowsedMessage signed(String queue, BrowsedMessage m) {
        return signer.signed(queue, m);
    }

    /** The messages of every PUBLISH received, in order. */
    public List<PublishMessage> published() {
        return List.copyOf(published);
    }

    /** Closes every client connection abruptly (no CLOSE frame). */
    public void dropConnections() {
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------ behaviour

    private PublishOkFrame publishOk(PublishFrame publish) {
        List<PublishResult> results = new ArrayList<>();
        for (PublishMessage m : publish.messages()) {
            published.add(m);
            String key = m.producerId() + "/" + m.sequence();
            Long original = m.producerId().isEmpty() ? null : stored.get(key);
            if (original != null) {
                results.add(new PublishResult(original, true, signer.receipt(publish.queue(), original, m)));
            } else {
                long offset = nextOffset.getAndIncrement();
                if (!m.producerId().isEmpty()) {
                    stored.put(key, offset);
                }
                results.add(new PublishResult(offset, false, signer.receipt(publish.queue(), offset, m)));
            }
        }
        return new PublishOkFrame(publish.correlationId(), results);
    }

    private List<Frame> defaultAnswer(Frame frame) {
        return switch (frame.type()) {
            case PUBLISH -> List.of(publishOk((PublishFrame) frame));
            case SUBSCRIBE -> {
                int id = nextConsumerId.getAndIncrement();
                lastConsumerId = id;
                yield List.of(new SubscribeOkFrame(frame.correlationId(), id));
            }
            case UNSUBSCRIBE, CREATE_QUEUE, DELETE_QUEUE, RELOAD -> List.of(new OkFrame(frame.correlationId()));
            case LIST_QUEUES -> List.of(new QueueListFrame(frame.correlationId(), List.of()));
            case LIST_SUBSCRIPTIONS -> List.of(new SubscriptionListFrame(frame.correlationId(), List.of()));
            case DELETE_SUBSCRIPTION -> List.of(new OkFrame(frame.correlationId()));
            case PURGE_QUEUE -> List.of(new PurgeOkFrame(frame.correlationId(), 0));
            case BROWSE -> List.of(new BrowseResultFrame(frame.correlationId(), ((BrowseFrame) frame).fromOffset(),
                    List.of()));
            case SEEK -> List.of(new SeekOkFrame(frame.correlationId(), ((SeekFrame) frame).value()));
            case PING -> List.of(new PongFrame(frame.correlationId(), ((PingFrame) frame).payload()));
            default -> List.of();
        };
    }

    /** One connection's server side: handshake, then recording and answering. */
    private final class BrokerHandler extends SimpleChannelInboundHandler<Frame> {
        private boolean open;
        private int connection;
        private String principal;
        private long deadline;
        /** SCRAM state between AUTH and AUTH_RESPONSE. */
        private FakeScram scram;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
            if (frame instanceof HelloFrame hello) {
                hellos.add(hello);
                Frame answer = helloAnswer;
                if (answer instanceof ErrorFrame e) {
                    ctx.writeAndFlush(new ErrorFrame(hello.correlationId(), e.code(), e.message()))
                            .addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                int version = ProtocolVersion.negotiate(hello.minVersion(), hello.maxVersion(), ProtocolVersion.MIN,
                        maxVersion).orElse(ProtocolVersion.MIN);
                ctx.pipeline().get(FrameDecoder.class).setVersion(version);
                ctx.writeAndFlush(new HelloOkFrame(hello.correlationId(), version,
                        Math.min(hello.maxFrameSize(), maxFrameSize), "fake-broker", mechanisms, 10_000));
            } else if (!open && frame instanceof AuthFrame auth) {
                authenticate(ctx, auth);
            } else if (!open && frame instanceof AuthResponseFrame response && scram != null) {
                finishScram(ctx, response);
            } else if (!open) {
                ctx.writeAndFlush(ErrorFrame.of(0, ErrorCode.UNEXPECTED_FRAME))
                        .addListener(ChannelFutureListener.CLOSE);
            } else {
                received.add(new Received(connection, frame));
                answer(ctx, frame);
            }
        }

        private void authenticate(ChannelHandlerContext ctx, AuthFrame auth) {
            authFrames.add(auth);
            byte[] response = auth.initialResponse().toByteArray();
            authResponses.add(response);
            PeerCertificates.leaf(ctx).ifPresent(clientCertificates::add);
            if (!mechanisms.contains(auth.mechanism())) {
                refuse(ctx, auth.correlationId(), ErrorCode.UNSUPPORTED_MECHANISM);
                return;
            }
            switch (auth.mechanism()) {
                case "PLAIN" -> {
                    byte[] expected = ("\0" + username + "\0" + password).getBytes(StandardCharsets.UTF_8);
                    if (Arrays.equals(response, expected)) {
                        open(ctx, new AuthOkFrame(auth.correlationId(), username, 0, Bytes.EMPTY));
                    } else {
                        refuse(ctx, auth.correlationId(), ErrorCode.AUTHENTICATION_FAILED);
                    }
                }
                case Scram.MECHANISM -> startScram(ctx, auth.correlationId(), new String(response, StandardCharsets.UTF_8));
                case "JWT" -> {
                    String token = new String(response, StandardCharsets.UTF_8);
                    if (tokenAcceptor.test(token)) {
                        open(ctx, new AuthOkFrame(auth.correlationId(), username, sessionExpiry.applyAsLong(token),
                                Bytes.EMPTY));
                    } else {
                        refuse(ctx, auth.correlationId(), ErrorCode.AUTHENTICATION_FAILED);
                    }
                }
                case "EXTERNAL" -> {
                    Optional<X509Certificate> certificate = PeerCertificates.leaf(ctx);
                    if (certificate.isPresent() && response.length == 0) {
                        open(ctx, new AuthOkFrame(auth.correlationId(), PeerCertificates.commonName(certificate.get()), 0, Bytes.EMPTY));
                    } else {
                        refuse(ctx, auth.correlationId(), ErrorCode.AUTHENTICATION_FAILED);
                    }
                }
                default -> refuse(ctx, auth.correlationId(), ErrorCode.UNSUPPORTED_MECHANISM);
            }
        }

        private void startScram(ChannelHandlerContext ctx, int correlationId, String first) {
            scram = new FakeScram(username, password, scramSalt, serverFirstRewrite, serverFinalRewrite);
            String serverFirst = scram.start(first);
            if (serverFirst == null) {
                scram = null;
                refuse(ctx, correlationId, ErrorCode.AUTHENTICATION_FAILED);
                return;
            }
            ctx.writeAndFlush(new AuthChallengeFrame(correlationId, Bytes.utf8(serverFirst)));
        }

        private void finishScram(ChannelHandlerContext ctx, AuthResponseFrame response) {
            ScramTranscript transcript = scram.finish(new String(response.response().toByteArray(), StandardCharsets.UTF_8));
            scram = null;
            scramTranscripts.add(transcript);
            if (transcript.serverFinal() != null) {
                open(ctx, new AuthOkFrame(response.correlationId(), username, 0, Bytes.utf8(transcript.serverFinal())));
            } else {
                refuse(ctx, response.correlationId(), ErrorCode.AUTHENTICATION_FAILED);
            }
        }

        private void refuse(ChannelHandlerContext ctx, int correlationId, ErrorCode code) {
            ctx.writeAndFlush(ErrorFrame.of(correlationId, code)).addListener(ChannelFutureListener.CLOSE);
        }

        private void open(ChannelHandlerContext ctx, AuthOkFrame ok) {
            ctx.pipeline().get(FrameDecoder.class).setMaxFrameSize(maxFrameSize);
            open = true;
            principal = ok.principal();
            connection = connections.incrementAndGet();
            latest = ctx.channel();
            ctx.writeAndFlush(ok);
            expireAt(ctx, ok.sessionExpiresAtMillis());
        }

        /** Ends the session with SESSION_EXPIRED at {@code expiresAt} unless re-authenticated first. */
        private void expireAt(ChannelHandlerContext ctx, long expiresAt) {
            deadline = expiresAt;
            if (expiresAt <= 0) {
                return;
            }
            ctx.executor().schedule(() -> {
                if (deadline == expiresAt && ctx.channel().isActive()) {
                    expiredSessions.incrementAndGet();
                    ctx.writeAndFlush(ErrorFrame.of(0, ErrorCode.SESSION_EXPIRED))
                            .addListener(ChannelFutureListener.CLOSE);
                }
            }, Math.max(0, expiresAt - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        }

        /** AUTH on an open session: only JWT re-authentication of the same principal is allowed. */
        private void reauthenticate(ChannelHandlerContext ctx, AuthFrame auth) {
            if (!auth.mechanism().equals("JWT")) {
                ctx.writeAndFlush(ErrorFrame.of(0, ErrorCode.UNEXPECTED_FRAME)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            String token = new String(auth.initialResponse().toByteArray(), StandardCharsets.UTF_8);
            if (!tokenAcceptor.test(token)) {
                ctx.writeAndFlush(ErrorFrame.of(auth.correlationId(), ErrorCode.AUTHENTICATION_FAILED));
                return;
            }
            long expiresAt = sessionExpiry.applyAsLong(token);
            ctx.writeAndFlush(new AuthOkFrame(auth.correlationId(), principal, expiresAt, Bytes.EMPTY));
            expireAt(ctx, expiresAt);
        }

        private void answer(ChannelHandlerContext ctx, Frame frame) {
            if (frame.type() == FrameType.CLOSE) {
                ctx.close();
                return;
            }
            if (frame instanceof PublishFrame publish && holdPublishes) {
                held.add(new Held(ctx.channel(), publish));
                return;
            }
            if (frame instanceof PublishFrame publish && dropPublishAcks) {
                publishOk(publish);
                return;
            }
            Function<Frame, List<Frame>> responder = responders.get(frame.type());
            if (responder == null && frame instanceof AuthFrame auth) {
                reauthenticate(ctx, auth);
                return;
            }
            List<Frame> answers = responder != null ? responder.apply(frame) : defaultAnswer(frame);
            for (Frame a : answers) {
                ctx.write(a);
            }
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
