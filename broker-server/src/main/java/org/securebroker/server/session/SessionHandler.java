package org.securebroker.server.session;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthResponseFrame;
import org.securebroker.protocol.frame.CloseFrame;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.ListQueuesFrame;
import org.securebroker.protocol.frame.NackFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.ReloadFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.protocol.frame.UnsubscribeFrame;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.Names;
import org.securebroker.server.request.RequestException;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.access.SessionAccess;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.protocol.codec.FrameAdmission;
import org.securebroker.server.limits.FatalErrors;
import org.securebroker.server.limits.InboundAccount;
import org.securebroker.server.queue.Consumer;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.server.rbac.Action;
import org.securebroker.server.tls.RevokedCertificateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's session: HELLO (version and frame size negotiation), then authentication
 * ({@link SessionAuthentication}: the mechanisms on offer, checked off the event loop), then
 * commands, during which a session opened with a token may renew it. Every frame outside its state ends the
 * connection with {@code UNEXPECTED_FRAME}; a malformed one with the decoder's error. Failures of
 * a single request are answered with an ERROR echoing its correlation id and the session goes on.
 *
 * <p>Back-pressure: every frame's bytes are reserved before its body is read
 * ({@link InboundAccount}, the frame decoder's admission), per connection and against the
 * broker's in-flight budget, and held until the frame is handled, a PUBLISH's until it is
 * answered; a frame that does not fit stops the reading of its connection until it does. With
 * more published messages waiting for the disk than allowed, the connection is not read until
 * half of them are stored. Deliveries stop while the connection's outbound buffer is full or
 * its deliveries not yet written exceed their bounds ({@link DeliveryBuffer}).
 *
 * <p>Thread-safety: not sharable; one instance per channel. State changes happen on the
 * channel's event loop; completions from other threads are handed back to it.
 */
public final class SessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);

    private enum State {
        AWAIT_TLS, AWAIT_HELLO, AWAIT_AUTH, OPEN, CLOSED
    }

    /** An administrative action the session can trigger (RELOAD). */
    @FunctionalInterface
    public interface Reloader {
        /** @throws IllegalStateException naming what could not be reloaded (the old state stays) */
        void reload();
    }

    private final SessionSettings settings;
    private final Mechanisms mechanisms;
    private final QueueEngine engine;
    private final ConnectionListener listener;
    private final Reloader reloader;
    private final AccessControl accessControl;
    private final Map<Integer, Consumer> consumers = new ConcurrentHashMap<>();

    private ChannelHandlerContext ctx;
    private SessionAuthentication auth;
    private SessionAccess access;
    private Replies replies;
    private AdminCommands admin;
    private SubscriptionCommands lifecycle;
    private State state = State.AWAIT_TLS;
    private ScheduledFuture<?> timeout;
    private int maxFrameSize;
    private int nextConsumerId = 1;
    private InboundAccount inbound;
    private DeliveryBuffer deliveries;
    /** The frame being handled was a PUBLISH that took its bytes along; set on the event loop. */
    private boolean frameTaken;

    public SessionHandler(SessionSettings settings, Mechanisms mechanisms, QueueEngine engine, ConnectionListener listener,
                          Reloader reloader, AccessControl accessControl) {
        this.settings = settings;
        this.mechanisms = mechanisms;
        this.engine = engine;
        this.listener = listener;
        this.reloader = reloader;
        this.accessControl = accessControl;
    }

    /** Who the session is authenticated as, or null before authentication. */
    public Identity identity() {
        SessionAuthentication a = auth;
        return a == null ? null : a.identity();
    }

    /** The authenticated principal, or null before authentication. */
    public String principal() {
        Identity who = identity();
        return who == null ? null : who.principal();
    }

    /**
     * The frame decoder's admission for this connection: the connection's and the broker's
     * in-flight bytes. Valid once the session is in the pipeline.
     */
    public FrameAdmission admission() {
        return (frameLength, admitted) -> inbound.admit(frameLength, admitted);
    }

    /** The version 2 subscription commands, made when a session first uses one: most never do. */
    private SubscriptionCommands lifecycle() {
        if (lifecycle == null) {
            lifecycle = new SubscriptionCommands(engine.subscriptions(), access, replies, ctx.executor(), maxFrameSize);
        }
        return lifecycle;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.inbound = new InboundAccount(settings.inFlightBudget(), settings.maxInFlightPublishBytes(),
                settings.maxInFlightPublishes(), ctx.executor());
        this.deliveries = new DeliveryBuffer(settings.deliveryBufferBytes(), settings.deliveryBudget(),
                () -> ctx.executor().execute(this::deliveryRoom));
        this.access = accessControl.session(String.valueOf(ctx.channel().remoteAddress()),
                ctx.channel().id().asShortText(), this::identity, ctx.executor());
        this.replies = new Replies(ctx);
        this.admin = new AdminCommands(ctx, engine, access, reloader, replies);
        this.auth = new SessionAuthentication(mechanisms, listener, ctx, settings.clock(), new SessionAuthentication.Outcome() {
            @Override
            public void opened(Identity identity) {
                disarm();
                state = State.OPEN;
                // before the limit is raised: frames of the authenticated size must count against
                // the principal's share and the shared budget, not the connection alone
                inbound.authenticated(identity.principal(), settings.inFlightShares());
                ctx.pipeline().get(FrameDecoder.class).setMaxFrameSize(maxFrameSize);
            }

            @Override
            public void refuse(int correlationId, ErrorCode code, String message) {
                replyAndClose(correlationId, code, message);
            }

            @Override
            public void unexpected(String frameType, String why) {
                listener.protocolError(ctx.channel(), "unexpected " + frameType + " in state " + state);
                fail(ErrorCode.UNEXPECTED_FRAME, frameType + " is not allowed now: " + why);
            }

            @Override
            public void renewed() {
                rightsChanged();
            }

            @Override
            public void expired(String message) {
                fail(ErrorCode.SESSION_EXPIRED, message);
            }

            @Override
            public boolean closed() {
                return state == State.CLOSED;
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                auth.tlsEstablished();
                state = State.AWAIT_HELLO;
                arm(settings.helloTimeout(), ErrorCode.HANDSHAKE_TIMEOUT, "no HELLO within "
                        + org.securebroker.server.config.Durations.format(settings.helloTimeout()));
            } else {
                // INFO, not DEBUG: it is how an operator learns why a client cannot connect, and a client
                // without the certificate tls.clientAuth REQUIRED asks for is refused by the TLS
                // library before the certificate verifier runs, so this line is its only trace
                LOG.info("{}: TLS handshake failed: {}", remote(), done.cause().getMessage());
                // a revocation is recorded as what it is, with the serial and issuer only
                listener.handshakeFailed(ctx.channel(), RevokedCertificateException.in(done.cause())
                        .map(RevokedCertificateException::reason)
                        .orElse("TLS handshake failed: " + done.cause().getMessage()));
                ctx.close();
            }
        }
        super.userEventTriggered(ctx, event);
    }

    private void arm(Duration after, ErrorCode code, String message) {
        disarm();
        timeout = ctx.executor().schedule(() -> fail(code, message), after.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void disarm() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        frameTaken = false;
        try {
            read(msg);
        } finally {
            if (!frameTaken) {
                inbound.frameHandled();
            }
        }
    }

    private void read(Object msg) {
        if (!(msg instanceof Frame frame)) {
            fail(ErrorCode.INTERNAL_ERROR, "internal error");
            return;
        }
        switch (state) {
            case AWAIT_HELLO -> {
                if (frame instanceof HelloFrame hello) {
                    hello(hello);
                } else {
                    unexpected(frame, "the first frame must be HELLO");
                }
            }
            case AWAIT_AUTH -> {
                if (frame instanceof CloseFrame) {
                    ctx.close();
                } else if (auth.waiting()) {
                    unexpected(frame, "wait for the answer to AUTH");
                } else if (frame instanceof AuthFrame start) {
                    auth.begin(start);
                } else if (frame instanceof AuthResponseFrame response) {
                    auth.respond(response);
                } else {
                    unexpected(frame, "authenticate first (AUTH)");
                }
            }
            case OPEN -> {
                // the deadline timer may not have run yet: the clock says whether the session is still valid
                if (!auth.endIfExpired()) {
                    command(frame);
                }
            }
            default -> {
                // AWAIT_TLS cannot receive frames; CLOSED drops what is still in flight
            }
        }
    }

    private void hello(HelloFrame hello) {
        OptionalInt version = ProtocolVersion.negotiate(hello.minVersion(), hello.maxVersion());
        if (version.isEmpty()) {
            fail(ErrorCode.UNSUPPORTED_VERSION, "this broker speaks protocol versions " + ProtocolVersion.MIN + " to "
                    + ProtocolVersion.MAX + ", the client offered " + hello.minVersion() + " to " + hello.maxVersion());
            return;
        }
        try {
            maxFrameSize = ProtocolLimits.negotiateMaxFrameSize(hello.maxFrameSize(), settings.maxFrameSize());
        } catch (ProtocolException e) {
            fail(e.errorCode(), e.getMessage());
            return;
        }
        state = State.AWAIT_AUTH;
        // frame types of a later version than the negotiated one stay unknown to this session
        ctx.pipeline().get(FrameDecoder.class).setVersion(version.getAsInt());
        arm(settings.authTimeout(), ErrorCode.AUTHENTICATION_TIMEOUT, "authentication did not complete within "
                + org.securebroker.server.config.Durations.format(settings.authTimeout()));
        ctx.writeAndFlush(new HelloOkFrame(hello.correlationId(), version.getAsInt(), maxFrameSize, settings.serverId(),
                auth.offered(), settings.authTimeout().toMillis()));
    }

    private void command(Frame frame) {
        int correlationId = frame.correlationId();
        try {
            if (!accessControl.auditWritable() && !(frame instanceof CloseFrame || frame instanceof PingFrame
                    || frame instanceof PongFrame)) {
                throw new RequestException(ErrorCode.AUDIT_UNAVAILABLE, "the audit log cannot be written; the broker "
                        + "refuses operations it cannot record");
            }
            if (frame instanceof PublishFrame publish) {
                requireOnQueue(Action.PUBLISH, publish.queue());
                publish(publish);
            } else if (frame instanceof AckFrame ack) {
                Consumer c = consumer(ack.consumerId());
                access.require(Action.CONSUME, c.queue());
                engine.ack(c, ack.offsets()).thenAccept(refused -> {
                    if (refused.length > 0) {
                        replies.error(correlationId, ErrorCode.INVALID_REQUEST, "offsets " + Arrays.toString(refused)
                                + " were not delivered to subscription '" + c.subscription() + "'");
                    }
                });
            } else if (frame instanceof CreditFrame credit) {
                Consumer c = consumer(credit.consumerId());
                access.require(Action.CONSUME, c.queue());
                engine.credit(c, credit.credit());
            } else if (frame instanceof NackFrame nack) {
                if (nack.delayMillis() < 0) {
                    throw new RequestException(ErrorCode.INVALID_REQUEST, "a NACK delay must not be negative");
                }
                Consumer c = consumer(nack.consumerId());
                access.require(Action.CONSUME, c.queue());
                engine.nack(c, nack.offset(), nack.delayMillis()).thenAccept(ok -> {
                    if (!ok) {
                        replies.error(correlationId, ErrorCode.INVALID_REQUEST, "offset " + nack.offset()
                                + " is not in flight on subscription '" + c.subscription() + "'");
                    }
                });
            } else if (frame instanceof SubscribeFrame subscribe) {
                requireOnQueue(Action.CONSUME, subscribe.queue());
                if (!engine.hasSubscription(subscribe.queue(), subscribe.subscription())) {
                    // the rule binds what is created: a subscription older than it can still be attached to
                    access.requireValidName(Action.CONSUME, Names.Kind.SUBSCRIPTION, subscribe.subscription());
                }
                subscribe(subscribe);
            } else if (frame instanceof UnsubscribeFrame unsubscribe) {
                Consumer c = consumers.remove(unsubscribe.consumerId());
                if (c == null) {
                    throw unknownConsumer(unsubscribe.consumerId());
                }
                engine.detach(c);
                ctx.writeAndFlush(new OkFrame(correlationId));
            } else if (frame instanceof CreateQueueFrame create) {
                admin.createQueue(create);
            } else if (frame instanceof DeleteQueueFrame delete) {
                admin.deleteQueue(delete);
            } else if (frame instanceof AuthFrame reauth) {
                auth.reauthenticate(reauth);
            } else if (frame instanceof ReloadFrame) {
                admin.reload(correlationId, principal());
            } else if (frame instanceof ListQueuesFrame) {
                admin.listQueues(correlationId);
            } else if (frame instanceof org.securebroker.protocol.frame.RejectFrame reject) {
                lifecycle().reject(reject, consumer(reject.consumerId()));
            } else if (frame instanceof org.securebroker.protocol.frame.ListSubscriptionsFrame list) {
                lifecycle().list(list);
            } else if (frame instanceof org.securebroker.protocol.frame.DeleteSubscriptionFrame delete) {
                lifecycle().delete(delete);
            } else if (frame instanceof org.securebroker.protocol.frame.PurgeQueueFrame purge) {
                lifecycle().purge(purge);
            } else if (frame instanceof org.securebroker.protocol.frame.BrowseFrame browse) {
                lifecycle().browse(browse);
            } else if (frame instanceof org.securebroker.protocol.frame.SeekFrame seek) {
                lifecycle().seek(seek);
            } else if (frame instanceof PingFrame ping) {
                ctx.writeAndFlush(new PongFrame(correlationId, ping.payload()));
            } else if (frame instanceof PongFrame) {
                return;
            } else if (frame instanceof CloseFrame) {
                ctx.close();
            } else {
                unexpected(frame, "not a client command");
            }
        } catch (RequestException e) {
            replies.error(correlationId, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            // a failure of this request only (a store refusal that escaped its future, a bug): answered,
            // and logged when it has no client meaning, without ending the session
            replies.failure(correlationId, e);
        }
    }

    private void publish(PublishFrame publish) {
        int correlationId = publish.correlationId();
        int count = publish.messages().size();
        CompletableFuture<List<org.securebroker.protocol.frame.PublishResult>> stored =
                engine.publish(publish.queue(), principal(), publish.messages());
        // the frame's bytes stay reserved until the answer is written: they are what the publish holds
        int frameBytes = inbound.takeFrame();
        frameTaken = true;
        inbound.publishStarted(count);
        stored.whenComplete((results, error) -> {
            if (error != null) {
                FatalErrors.haltIfFatal(error);
            }
            if (error == null) {
                ctx.writeAndFlush(new PublishOkFrame(correlationId, results), ctx.voidPromise());
            } else {
                replies.failure(correlationId, error);
                if (Futures.cause(error) instanceof RequestException r && (r.code() == ErrorCode.SIGNATURE_REQUIRED
                        || r.code() == ErrorCode.SIGNATURE_INVALID)) {
                    ctx.executor().execute(() -> access.record(AuditEvent.of("message.signature.refused")
                            .action("publish").resource(publish.queue()).decision("deny")
                            .reason(r.code().name() + ": " + r.getMessage()).detail("messages", count)));
                }
            }
            ctx.executor().execute(() -> inbound.publishEnded(count, frameBytes));
        });
        // after the completion is registered: whatever this throws, the publish still gives its bytes back
        accessControl.traffic(principal(), "publish", count);
    }

    private void subscribe(SubscribeFrame subscribe) {
        int correlationId = subscribe.correlationId();
        int id = nextConsumerId++;
        CompletableFuture<Consumer> attached = engine.subscribe(subscribe.queue(), subscribe.subscription(),
                subscribe.initialCredit(), id, new ChannelSink(ctx.channel(), this, deliveries,
                        settings.consumerWindowBytes()), c -> {
                    consumers.put(c.id(), c);
                    ctx.writeAndFlush(new SubscribeOkFrame(correlationId, c.id()), ctx.voidPromise());
                    // the right was checked before attaching; a reload in between must not be missed
                    ctx.executor().execute(() -> recheck(c));
                }, principal());
        attached.whenComplete((c, error) -> {
            if (error != null) {
                replies.failure(correlationId, error);
            } else if (!ctx.channel().isActive()) {
                consumers.remove(c.id());
                engine.detach(c);
            }
        });
    }

    private Consumer consumer(int id) {
        Consumer c = consumers.get(id);
        if (c == null) {
            throw unknownConsumer(id);
        }
        return c;
    }

    private static RequestException unknownConsumer(int id) {
        return new RequestException(ErrorCode.UNKNOWN_CONSUMER, "consumer " + id + " is not subscribed on this connection");
    }

    /**
     * Publishing or subscribing to a missing queue creates it when queues.autoCreate is on: that
     * takes CREATE too. The name is checked once the action is authorized.
     */
    private void requireOnQueue(Action action, String queue) {
        access.require(action, queue);
        access.requireValidName(action, Names.Kind.QUEUE, queue);
        if (engine.autoCreate() && !engine.exists(queue)) {
            access.require(Action.CREATE, queue);
        }
    }

    /**
     * The policy or the principal's roles changed: every consumer whose principal may no longer
     * consume from its queue is cancelled (CANCEL NOT_AUTHORIZED) and stops receiving. Runs on
     * the event loop.
     */
    public void rightsChanged() {
        if (state != State.OPEN) {
            return;
        }
        for (Consumer c : List.copyOf(consumers.values())) {
            recheck(c);
        }
    }

    /** Cancels the consumer unless its principal may still consume from its queue (and that can be recorded). */
    private void recheck(Consumer c) {
        if (state != State.OPEN || consumers.get(c.id()) != c) {
            return;
        }
        boolean allowed;
        try {
            allowed = access.stillAllowed(Action.CONSUME, c.queue());
        } catch (RequestException e) {
            allowed = false;
        }
        if (!allowed) {
            consumers.remove(c.id());
            engine.detach(c);
            LOG.info("{}: '{}' may no longer consume from '{}'; consumer {} cancelled", remote(), principal(),
                    c.queue(), c.id());
            ctx.writeAndFlush(new CancelFrame(c.id(), ErrorCode.NOT_AUTHORIZED, "'" + principal()
                    + "' is no longer authorized to consume from queue '" + c.queue() + "'"), ctx.voidPromise());
        }
    }

    /** A batch of deliveries went out; runs on the event loop. */
    void delivered(int messages) {
        accessControl.traffic(principal(), "consume", messages);
    }

    /** Deliveries were written and freed room: consumers that stopped for it go on. Runs on the event loop. */
    private void deliveryRoom() {
        for (Consumer c : consumers.values()) {
            engine.writable(c);
        }
    }

    /** Whether deliveries for this consumer id may still be written (it was not cancelled or detached). */
    boolean delivering(int consumerId) {
        return consumers.containsKey(consumerId);
    }

    /** The engine ended a consumer (its queue was deleted); runs on the event loop. */
    void consumerCancelled(int consumerId, ErrorCode code, String message) {
        if (consumers.remove(consumerId) != null && state == State.OPEN) {
            ctx.writeAndFlush(new CancelFrame(consumerId, code, message), ctx.voidPromise());
        }
    }

    private void replyAndClose(int correlationId, ErrorCode code, String message) {
        state = State.CLOSED;
        disarm();
        auth.cancel();
        ctx.writeAndFlush(new ErrorFrame(correlationId, code.code(), message)).addListener(ChannelFutureListener.CLOSE);
    }

    private void unexpected(Frame frame, String why) {
        listener.protocolError(ctx.channel(), "unexpected " + frame.type() + " in state " + state);
        fail(ErrorCode.UNEXPECTED_FRAME, frame.type() + " is not allowed now: " + why);
    }

    /** Sends a connection-level ERROR and closes. */
    private void fail(ErrorCode code, String message) {
        if (state == State.CLOSED) {
            return;
        }
        replyAndClose(0, code, message);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            for (Consumer c : consumers.values()) {
                engine.writable(c);
            }
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        state = State.CLOSED;
        disarm();
        auth.cancel();
        access.close();
        inbound.close();
        for (Consumer c : consumers.values()) {
            engine.detach(c);
        }
        consumers.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        FatalErrors.haltIfFatal(cause);
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof ProtocolException e) {
            LOG.info("{}: protocol error: {}", remote(), e.getMessage());
            listener.protocolError(ctx.channel(), e.getMessage());
            fail(e.errorCode(), e.getMessage());
        } else if (root instanceof SSLException) {
            LOG.debug("{}: TLS error: {}", remote(), root.getMessage());
            ctx.close();
        } else if (root instanceof java.io.IOException) {
            LOG.debug("{}: connection error: {}", remote(), root.getMessage());
            ctx.close();
        } else {
            LOG.error("{}: unexpected failure in the session", remote(), root);
            fail(ErrorCode.INTERNAL_ERROR, "internal error");
        }
    }

    private Object remote() {
        Channel ch = ctx == null ? null : ctx.channel();
        return ch == null ? "?" : ch.remoteAddress();
    }
}
