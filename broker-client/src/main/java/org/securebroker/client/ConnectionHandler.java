package org.securebroker.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.securebroker.client.internal.auth.AuthException;
import org.securebroker.client.internal.auth.AuthExchange;
import org.securebroker.client.internal.auth.Authentication;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.frame.AuthChallengeFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.AuthResponseFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CloseFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection: runs the handshake (TLS done, then HELLO -> HELLO_OK
 * -> AUTH -> [AUTH_CHALLENGE -> AUTH_RESPONSE]* -> AUTH_OK), then hands frames to the session.
 *
 * <p>The configured {@link Authentication} picks the mechanism from HELLO_OK's list. Each step
 * that computes a response (a token supplier, SCRAM's PBKDF2) runs on the client's
 * authentication thread, never on the I/O thread; the response is sent from the I/O thread if
 * the connection is still authenticating. When the client refuses the broker during the
 * handshake (for example a SCRAM server signature that does not match) it says why with CLOSE
 * and disconnects.
 *
 * <p>It answers PING itself in every state and turns what ends a connection (a connection-level
 * ERROR or a CLOSE from the broker, a malformed frame, an I/O or TLS failure) into one
 * {@link BrokerException} reported exactly once: to the {@link HandshakeListener} before
 * AUTH_OK, to the {@link SessionListener} after it.
 *
 * <p>Thread-safety: not {@code @Sharable}; all methods run on the channel's event loop.
 */
final class ConnectionHandler extends SimpleChannelInboundHandler<Frame> {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);
    private static final int HELLO_ID = 1;
    private static final int AUTH_ID = 2;
    private static final int FIRST_SESSION_ID = 3;

    /** Receives the outcome of the handshake. */
    interface HandshakeListener {
        /** Authentication succeeded; returns where the session's frames go. */
        SessionListener opened(Channel channel, HandshakeResult result);

        /** The handshake failed; the channel is closing. */
        void failed(BrokerException error);
    }

    /** Receives an open session's frames and its end. */
    interface SessionListener {
        /** A frame other than PING, a connection-level ERROR or CLOSE. */
        void onFrame(Frame frame);

        /** The connection is closed; called once. */
        void onClosed(BrokerException reason);

        /** The channel's outbound buffer drained below its low-water mark: writing may go on. */
        void onWritable();
    }

    private enum Phase { CONNECTING, HELLO_SENT, AUTHENTICATING, OPEN, CLOSED }

    private final BrokerAddress address;
    private final Authentication authentication;
    private final String clientId;
    private final Executor authExecutor;
    private final HandshakeListener handshakeListener;
    private Phase phase = Phase.CONNECTING;
    private int version;
    private int maxFrameSize;
    private String serverId;
    private AuthExchange exchange;
    /** The response being computed on the authentication thread, if any. */
    private CompletableFuture<byte[]> localStep;
    /** Whether the last AUTH or AUTH_RESPONSE was sent and the broker's answer is due. */
    private boolean awaitingBroker;
    private SessionListener session;
    private BrokerException closeReason;

    ConnectionHandler(BrokerAddress address, Authentication authentication, String clientId,
                      Executor authExecutor, HandshakeListener handshakeListener) {
        this.address = address;
        this.authentication = authentication;
        this.clientId = clientId;
        this.authExecutor = authExecutor;
        this.handshakeListener = handshakeListener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        ctx.pipeline().get(SslHandler.class).handshakeFuture().addListener(f -> {
            if (!f.isSuccess()) {
                failHandshake(ctx, connectionFailure(f.cause()));
            } else if (phase == Phase.CONNECTING) {
                phase = Phase.HELLO_SENT;
                ctx.writeAndFlush(new HelloFrame(HELLO_ID, ProtocolVersion.MIN, ProtocolVersion.MAX,
                        ProtocolLimits.DEFAULT_MAX_FRAME_SIZE, clientId));
            }
        });
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
        if (frame instanceof PingFrame ping) {
            ctx.writeAndFlush(new PongFrame(ping.correlationId(), ping.payload()));
            return;
        }
        switch (phase) {
            case HELLO_SENT -> onHelloReply(ctx, frame);
            case AUTHENTICATING -> onAuthReply(ctx, frame);
            case OPEN -> onSessionFrame(ctx, frame);
            default -> LOG.debug("Ignoring {} on a closing connection to {}", frame.type(), address);
        }
    }

    private void onHelloReply(ChannelHandlerContext ctx, Frame frame) {
        if (frame instanceof HelloOkFrame ok) {
            BrokerException problem = checkHelloOk(ok);
            if (problem != null) {
                closeWith(ctx, problem);
                return;
            }
            version = ok.version();
            // frames of a later version than the broker chose stay unknown on this connection
            ctx.pipeline().get(FrameDecoder.class).setVersion(version);
            maxFrameSize = (int) ok.maxFrameSize();
            serverId = ok.serverId();
            startAuthentication(ctx, ok.authMechanisms());
        } else {
            failHandshake(ctx, handshakeRefusal("HELLO", frame));
        }
    }

    private BrokerException checkHelloOk(HelloOkFrame ok) {
        if (!ProtocolVersion.isSupported(ok.version())) {
            return new BrokerException(ErrorCode.UNSUPPORTED_VERSION, address
                    + " chose protocol version " + ok.version() + ", this client speaks "
                    + ProtocolVersion.MIN + ".." + ProtocolVersion.MAX);
        }
        if (ok.maxFrameSize() < ProtocolLimits.MIN_FRAME_SIZE_LIMIT
                || ok.maxFrameSize() > ProtocolLimits.DEFAULT_MAX_FRAME_SIZE) {
            return new BrokerException(ErrorCode.PROTOCOL_ERROR, address
                    + " negotiated a maximum frame size of " + ok.maxFrameSize()
                    + " bytes, outside [" + ProtocolLimits.MIN_FRAME_SIZE_LIMIT + ", "
                    + ProtocolLimits.DEFAULT_MAX_FRAME_SIZE + "]");
        }
        return null;
    }

    private void startAuthentication(ChannelHandlerContext ctx, List<String> offered) {
        AuthExchange started;
        try {
            started = authentication.start(offered);
        } catch (AuthException e) {
            closeWith(ctx, authFailure(e));
            return;
        }
        exchange = started;
        phase = Phase.AUTHENTICATING;
        runLocalStep(ctx, started::initialResponse,
                response -> new AuthFrame(AUTH_ID, started.mechanism(), response));
    }

    /**
     * Computes the next response on the authentication thread, then sends it from the I/O
     * thread unless the connection stopped authenticating meanwhile. The response array is
     * overwritten once framed (or dropped).
     */
    private void runLocalStep(ChannelHandlerContext ctx, Supplier<byte[]> step, Function<Bytes, Frame> toFrame) {
        awaitingBroker = false;
        CompletableFuture<byte[]> local;
        try {
            local = CompletableFuture.supplyAsync(step, authExecutor);
        } catch (RejectedExecutionException e) {
            failHandshake(ctx, new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed", e));
            return;
        }
        localStep = local;
        local.whenComplete((response, error) -> {
            try {
                ctx.executor().execute(() -> afterLocalStep(ctx, local, response, error, toFrame));
            } catch (RejectedExecutionException e) {
                wipe(response);
                LOG.debug("Client closed while authenticating with {}", address);
            }
        });
    }

    private void afterLocalStep(ChannelHandlerContext ctx, CompletableFuture<byte[]> step, byte[] response,
                                Throwable error, Function<Bytes, Frame> toFrame) {
        try {
            if (phase != Phase.AUTHENTICATING || localStep != step) {
                return;
            }
            localStep = null;
            if (error != null) {
                refuse(ctx, authFailure(error));
                return;
            }
            awaitingBroker = true;
            ctx.writeAndFlush(toFrame.apply(Bytes.copyOf(response)));
        } finally {
            wipe(response);
        }
    }

    private void onAuthReply(ChannelHandlerContext ctx, Frame frame) {
        if (frame instanceof ErrorFrame || frame instanceof CloseFrame) {
            failHandshake(ctx, handshakeRefusal("AUTH " + exchange.mechanism() + " " + authentication.describe(),
                    frame));
            return;
        }
        boolean authAnswer = frame instanceof AuthChallengeFrame || frame instanceof AuthOkFrame;
        if (!awaitingBroker || !authAnswer || frame.correlationId() != AUTH_ID) {
            refuse(ctx, new BrokerException(ErrorCode.PROTOCOL_ERROR, address + " sent " + frame.type() + " #"
                    + Integer.toUnsignedString(frame.correlationId()) + " while the client "
                    + (awaitingBroker ? "waited for the answer to AUTH #" + AUTH_ID : "prepared its next response")));
            return;
        }
        if (frame instanceof AuthChallengeFrame challengeFrame) {
            byte[] challenge = challengeFrame.challenge().toByteArray();
            AuthExchange current = exchange;
            runLocalStep(ctx, () -> {
                try {
                    return current.respond(challenge);
                } finally {
                    wipe(challenge);
                }
            }, response -> new AuthResponseFrame(AUTH_ID, response));
            return;
        }
        AuthOkFrame ok = (AuthOkFrame) frame;
        try {
            exchange.verifySuccess(ok);
        } catch (AuthException e) {
            refuse(ctx, authFailure(e));
            return;
        } finally {
            exchange.dispose();
        }
        ctx.pipeline().get(FrameDecoder.class).setMaxFrameSize(maxFrameSize);
        phase = Phase.OPEN;
        session = handshakeListener.opened(ctx.channel(), new HandshakeResult(version, maxFrameSize, serverId,
                exchange.mechanism(), ok.principal(), Math.max(0, ok.sessionExpiresAtMillis()), FIRST_SESSION_ID));
    }

    /** A failure of the client's side of authentication, naming the broker. */
    private BrokerException authFailure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        String prefix = address + ": authentication " + authentication.describe() + " failed: ";
        if (cause instanceof AuthException e) {
            return new BrokerException(e.code(), e.retriable(), prefix + e.detail(), e.getCause());
        }
        return new BrokerException(ErrorCode.INTERNAL_ERROR, false, prefix + cause, cause);
    }

    /**
     * Ends the handshake because of the client's side of authentication. When the client refuses
     * the broker (a failure that will not go away on retry, such as a server signature that does
     * not match), it says why with CLOSE and logs it; a local, retriable problem (the token
     * supplier failed) just disconnects.
     */
    private void refuse(ChannelHandlerContext ctx, BrokerException error) {
        if (phase == Phase.OPEN || phase == Phase.CLOSED) {
            return;
        }
        closeReason = error;
        phase = Phase.CLOSED;
        disposeExchange();
        // CLOSE goes out before the listener hears of the failure, which closes the channel.
        boolean refusesBroker = !error.retriable() && error.rawCode() < ErrorCode.CONNECTION_LOST.code();
        if (ctx.channel().isActive() && refusesBroker) {
            LOG.warn("Refusing {}: {}", address, error.getMessage());
            ctx.writeAndFlush(new CloseFrame(0, error.rawCode(), error.detail()))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
        handshakeListener.failed(error);
    }

    private BrokerException handshakeRefusal(String step, Frame frame) {
        if (frame instanceof ErrorFrame error) {
            return BrokerException.fromWire(error.code(), address + " refused " + step + ": " + error.message());
        }
        if (frame instanceof CloseFrame close) {
            return closeReason(close, " during " + step);
        }
        return new BrokerException(ErrorCode.PROTOCOL_ERROR, address + " answered " + step
                + " with an unexpected " + frame.type());
    }

    /** A CLOSE without error (code NONE) is reported like any lost connection. */
    private BrokerException closeReason(CloseFrame close, String when) {
        String detail = address + " closed the connection" + when + ": " + close.reason();
        return close.code() == ErrorCode.NONE.code()
                ? new BrokerException(ErrorCode.CONNECTION_LOST, detail)
                : BrokerException.fromWire(close.code(), detail);
    }

    private void onSessionFrame(ChannelHandlerContext ctx, Frame frame) {
        if (frame instanceof ErrorFrame error && error.correlationId() == 0) {
            closeReason = BrokerException.fromWire(error.code(),
                    address + " closed the connection with an error: " + error.message());
            LOG.debug("{}", closeReason.getMessage());
            ctx.close();
        } else if (frame instanceof CloseFrame close) {
            closeReason = closeReason(close, "");
            LOG.info("{}", closeReason.getMessage());
            ctx.close();
        } else {
            session.onFrame(frame);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        BrokerException error;
        if (cause instanceof ProtocolException pe) {
            error = new BrokerException(pe.errorCode(), "malformed frame from " + address + ": "
                    + pe.getMessage(), pe);
        } else {
            error = connectionFailure(cause);
        }
        if (phase == Phase.OPEN) {
            LOG.warn("Closing the connection to {}: {}", address, error.getMessage());
        }
        closeWith(ctx, error);
    }

    /** Ends the connection with {@code error}; a malformed frame is reported to the broker first. */
    private void closeWith(ChannelHandlerContext ctx, BrokerException error) {
        if (closeReason == null) {
            closeReason = error;
        }
        if (phase != Phase.OPEN) {
            failHandshake(ctx, error);
            return;
        }
        if (ctx.channel().isActive() && error.getCause() instanceof ProtocolException) {
            // ERROR is a server-to-client frame; the client reports a protocol violation with CLOSE.
            ctx.writeAndFlush(new CloseFrame(0, error.rawCode(), error.detail()))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void failHandshake(ChannelHandlerContext ctx, BrokerException error) {
        if (phase == Phase.OPEN || phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        disposeExchange();
        handshakeListener.failed(error);
        ctx.close();
    }

    /** Forgets the exchange's secrets, after the step running on the authentication thread if any. */
    private void disposeExchange() {
        AuthExchange current = exchange;
        if (current == null) {
            return;
        }
        CompletableFuture<byte[]> running = localStep;
        localStep = null;
        if (running == null) {
            current.dispose();
        } else {
            running.whenComplete((response, error) -> {
                wipe(response);
                current.dispose();
            });
        }
    }

    private static void wipe(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (phase == Phase.OPEN && session != null && ctx.channel().isWritable()) {
            session.onWritable();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        Phase was = phase;
        phase = Phase.CLOSED;
        if (was == Phase.AUTHENTICATING) {
            disposeExchange();
        }
        if (was == Phase.OPEN) {
            session.onClosed(closeReason != null ? closeReason
                    : new BrokerException(ErrorCode.CONNECTION_LOST, "connection to " + address + " closed"));
        } else if (was != Phase.CLOSED) {
            handshakeListener.failed(closeReason != null ? closeReason
                    : new BrokerException(ErrorCode.CONNECTION_LOST, address
                            + " closed the connection during the handshake"));
        }
        super.channelInactive(ctx);
    }

    private BrokerException connectionFailure(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (findCause(cause, SslHandshakeTimeoutException.class) != null) {
            return new BrokerException(ErrorCode.TIMEOUT, "TLS handshake with " + address
                    + " timed out", cause);
        }
        SSLException tls = findCause(cause, SSLException.class);
        if (tls != null) {
            // A certificate the configured CAs do not vouch for, or that names another host, will
            // not become acceptable by repeating the attempt at once.
            boolean handshake = tls instanceof SSLHandshakeException || phase != Phase.OPEN;
            return new BrokerException(ErrorCode.CONNECTION_LOST, !handshake,
                    "TLS " + (handshake ? "handshake " : "") + "with " + address + " failed: "
                            + root.getMessage(), cause);
        }
        return new BrokerException(ErrorCode.CONNECTION_LOST,
                "connection to " + address + " failed: " + root, cause);
    }

    private static <T extends Throwable> T findCause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
