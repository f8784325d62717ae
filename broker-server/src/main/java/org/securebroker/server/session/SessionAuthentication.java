package org.securebroker.server.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.PeerText;
import org.securebroker.protocol.frame.AuthChallengeFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.AuthResponseFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.server.auth.AuthMechanism;
import org.securebroker.server.auth.AuthStep;
import org.securebroker.server.auth.ConnectionInfo;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.server.limits.ConnectionSlots;
import org.securebroker.server.limits.Refusal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authentication part of one session: the exchange of AUTH, AUTH_CHALLENGE and
 * AUTH_RESPONSE until AUTH_OK, and afterwards the session's deadline and its renewal by
 * re-authentication (AUTH JWT on the open session). Mechanism steps may complete on other
 * threads; their results are handled on the channel's event loop.
 *
 * <p>The first AUTH_OK is where a connection stops counting as unauthenticated: the session
 * trades its {@link ConnectionSlot} for an authenticated one of the principal, and is refused
 * (QUOTA_EXCEEDED at the principal's {@code quotas.connections}, OVERLOADED at
 * {@code listener.maxConnections}) and closed when none is free. Re-authentication keeps the slot.
 *
 * <p>Expiry is judged by the injected clock alone: the deadline timer only says when to look,
 * and every frame on the open session looks too (see {@link #endIfExpired()}).
 *
 * <p>Thread-safety: not thread-safe; used on the channel's event loop only, except
 * {@link #identity()}, which any thread may read.
 */
final class SessionAuthentication {

    private static final Logger LOG = LoggerFactory.getLogger(SessionAuthentication.class);
    /** How long a deadline timer that fired before the clock reached the deadline waits, at most, to look again. */
    static final long RECHECK_MILLIS = 1000;

    /** What the session does with the outcomes. */
    interface Outcome {
        /** The first authentication succeeded; the session opens. */
        void opened(Identity identity);

        /** Sends ERROR with this correlation id and closes the connection. */
        void refuse(int correlationId, ErrorCode code, String message);

        /** A frame arrived that the exchange does not allow now; closes the connection. */
        void unexpected(String frameType, String why);

        /** The session renewed its authentication; the identity (and its roles) may have changed. */
        void renewed();

        /** The session's deadline passed without re-authentication. */
        void expired(String message);

        /** Whether the connection is closing, so late results are dropped. */
        boolean closed();
    }

    private final Mechanisms mechanisms;
    private final ConnectionListener listener;
    private final ChannelHandlerContext ctx;
    private final Outcome outcome;
    private final Clock clock;
    private ConnectionInfo connection;
    private AuthMechanism.Exchange exchange;
    private AuthMechanism mechanism;
    private int exchangeCorrelationId;
    private boolean waiting;
    private boolean reauthenticating;
    private volatile Identity identity;
    private ScheduledFuture<?> deadline;

    SessionAuthentication(Mechanisms mechanisms, ConnectionListener listener, ChannelHandlerContext ctx, Clock clock,
                          Outcome outcome) {
        this.mechanisms = mechanisms;
        this.listener = listener;
        this.ctx = ctx;
        this.outcome = outcome;
        this.clock = clock;
    }

    /** Who the session is authenticated as; null before AUTH_OK. */
    Identity identity() {
        return identity;
    }

    /** Called when the TLS handshake completed: takes the verified client certificate, if any. */
    void tlsEstablished() {
        InetAddress address = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress()
                : InetAddress.getLoopbackAddress();
        List<X509Certificate> chain = new ArrayList<>();
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls != null) {
            try {
                for (Certificate c : tls.engine().getSession().getPeerCertificates()) {
                    if (c instanceof X509Certificate x) {
                        chain.add(x);
                    }
                }
            } catch (SSLPeerUnverifiedException e) {
                // no client certificate: EXTERNAL is not offered
            }
        }
        connection = new ConnectionInfo(address, chain);
    }

    /** The mechanisms offered on this connection, for HELLO_OK. */
    List<String> offered() {
        return mechanisms.offeredOn(connection());
    }

    private ConnectionInfo connection() {
        if (connection == null) {
            tlsEstablished();
        }
        return connection;
    }

    /** AUTH before the session is open. */
    void begin(AuthFrame auth) {
        if (exchange != null) {
            outcome.unexpected("AUTH", "an authentication exchange is already running");
            return;
        }
        AuthMechanism m = mechanisms.find(auth.mechanism(), connection()).orElse(null);
        if (m == null) {
            listener.authenticationFailed(ctx.channel(), null, auth.mechanism(), "mechanism not offered");
            outcome.refuse(auth.correlationId(), ErrorCode.UNSUPPORTED_MECHANISM, "mechanism " + PeerText.quote(auth.mechanism())
                    + " is not offered on this connection; use one of " + offered());
            return;
        }
        mechanism = m;
        exchangeCorrelationId = auth.correlationId();
        exchange = m.start(connection());
        step(exchange.next(auth.initialResponse().toByteArray()));
    }

    /** AUTH_RESPONSE before the session is open. */
    void respond(AuthResponseFrame response) {
        if (exchange == null || waiting || reauthenticating) {
            outcome.unexpected("AUTH_RESPONSE", "no challenge is waiting for an answer");
            return;
        }
        if (response.correlationId() != exchangeCorrelationId) {
            outcome.unexpected("AUTH_RESPONSE", "it must carry the AUTH's correlation id " + exchangeCorrelationId);
            return;
        }
        step(exchange.next(response.response().toByteArray()));
    }

    /** Whether the first authentication is waiting for a mechanism's result. */
    boolean waiting() {
        return waiting && !reauthenticating;
    }

    private void step(CompletableFuture<AuthStep> next) {
        waiting = true;
        next.whenComplete((result, error) -> ctx.executor().execute(() -> {
            waiting = false;
            if (outcome.closed()) {
                return;
            }
            AuthStep step = result;
            if (error != null) {
                LOG.error("{}: {} authentication failed unexpectedly", ctx.channel().remoteAddress(), mechanism.name(), error);
                step = new AuthStep.Failure(ErrorCode.INTERNAL_ERROR, "internal error", "internal error", null);
            }
            if (step instanceof AuthStep.Challenge challenge) {
                ctx.writeAndFlush(new AuthChallengeFrame(exchangeCorrelationId, challenge.data()),
                        ctx.voidPromise());
            } else if (step instanceof AuthStep.Success success) {
                Identity who = success.identity();
                Refusal full = claimSlot(who.principal());
                if (full != null) {
                    outcome.refuse(exchangeCorrelationId, full.limit().equals(ConnectionSlots.CONNECTIONS)
                            ? ErrorCode.QUOTA_EXCEEDED : ErrorCode.OVERLOADED, refusalMessage(full));
                    return;
                }
                identity = who;
                LOG.info("{}: authenticated '{}' ({}{})", ctx.channel().remoteAddress(), who.principal(), mechanism.name(),
                        who.expiresAtMillis() > 0 ? ", until " + Instant.ofEpochMilli(who.expiresAtMillis()) : "");
                listener.authenticated(ctx.channel(), who);
                scheduleDeadline();
                outcome.opened(who);
                ctx.writeAndFlush(new AuthOkFrame(exchangeCorrelationId, who.principal(), who.expiresAtMillis(),
                        success.additionalData()), ctx.voidPromise());
            } else {
                AuthStep.Failure failure = (AuthStep.Failure) step;
                logFailure(failure);
                outcome.refuse(exchangeCorrelationId, failure.code(), failure.clientMessage());
            }
        }));
    }

    /**
     * Trades the connection's unauthenticated slot for an authenticated one of {@code principal}.
     * Only the first login claims: re-authentication keeps the slot (and cannot change the
     * principal, {@link #renewed}). Each refusal is reported by the slots (counted, the first of
     * an episode audited), so it is logged here at DEBUG only: a principal hammering its quota
     * must not fill the log.
     *
     * @return the refusal, or null when the session may open
     */
    private Refusal claimSlot(String principal) {
        Refusal refusal = ConnectionSlot.of(ctx.channel()).flatMap(slot -> slot.authenticate(principal)).orElse(null);
        if (refusal != null) {
            LOG.debug("{}: '{}' authenticated but refused: {} (the limit of {})", ctx.channel().remoteAddress(),
                    principal, refusal.limit(), refusal.setting());
        }
        return refusal;
    }

    /** What a client refused a slot is told: which limit, its value and the setting that sets it. */
    static String refusalMessage(Refusal refusal) {
        if (refusal.limit().equals(ConnectionSlots.CONNECTIONS)) {
            return "principal '" + refusal.principal() + "' has " + refusal.value() + " connections open, the limit of "
                    + refusal.setting() + "; close one or try again later";
        }
        return "the broker has " + refusal.value() + " authenticated connections open, the limit of "
                + refusal.setting() + "; try again later";
    }

    /** AUTH on an open session: a fresh token for the same principal renews its deadline. */
    void reauthenticate(AuthFrame auth) {
        AuthMechanism m = mechanisms.reauthentication().orElse(null);
        int correlationId = auth.correlationId();
        if (m == null || !m.name().equals(auth.mechanism())) {
            outcome.unexpected("AUTH", "an open session re-authenticates only with "
                    + (m == null ? "JWT, which this broker does not offer" : m.name()));
            return;
        }
        Identity current = identity;
        if (current.expiresAtMillis() == 0) {
            reply(correlationId, ErrorCode.INVALID_REQUEST, "this session does not expire; re-authentication "
                    + "renews sessions that were opened with a token");
            return;
        }
        if (reauthenticating) {
            reply(correlationId, ErrorCode.INVALID_REQUEST, "a re-authentication is already in progress");
            return;
        }
        reauthenticating = true;
        m.start(connection()).next(auth.initialResponse().toByteArray()).whenComplete((step, error) ->
                ctx.executor().execute(() -> {
                    reauthenticating = false;
                    if (outcome.closed()) {
                        return;
                    }
                    if (error != null) {
                        LOG.error("{}: re-authentication failed unexpectedly", ctx.channel().remoteAddress(), error);
                        reply(correlationId, ErrorCode.INTERNAL_ERROR, "internal error");
                    } else if (step instanceof AuthStep.Success success) {
                        renewed(correlationId, current, success);
                    } else if (step instanceof AuthStep.Failure failure) {
                        logFailure(failure);
                        reply(correlationId, failure.code(), failure.clientMessage() + "; the session keeps its deadline "
                                + Instant.ofEpochMilli(identity.expiresAtMillis()));
                    } else {
                        reply(correlationId, ErrorCode.AUTHENTICATION_FAILED, "re-authentication takes a single AUTH");
                    }
                }));
    }

    private void renewed(int correlationId, Identity current, AuthStep.Success success) {
        Identity fresh = success.identity();
        if (!fresh.principal().equals(current.principal())) {
            LOG.info("{}: re-authentication as '{}' refused: the session belongs to '{}'", ctx.channel().remoteAddress(),
                    fresh.principal(), current.principal());
            listener.authenticationFailed(ctx.channel(), fresh.principal(), fresh.mechanism(), "principal changed");
            reply(correlationId, ErrorCode.AUTHENTICATION_FAILED, "the token names another principal than this "
                    + "session's; the session keeps its deadline");
            return;
        }
        identity = fresh;
        listener.reauthenticated(ctx.channel(), fresh);
        outcome.renewed();
        scheduleDeadline();
        LOG.info("{}: '{}' re-authenticated, session renewed until {}", ctx.channel().remoteAddress(), fresh.principal(),
                Instant.ofEpochMilli(fresh.expiresAtMillis()));
        ctx.writeAndFlush(new AuthOkFrame(correlationId, fresh.principal(), fresh.expiresAtMillis(),
                success.additionalData()), ctx.voidPromise());
    }

    private void scheduleDeadline() {
        cancel();
        long at = identity.expiresAtMillis();
        if (at == 0) {
            return;
        }
        armDeadline(at - clock.millis());
    }

    private void armDeadline(long delayMillis) {
        deadline = ctx.executor().schedule(this::deadlineReached, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    }

    /**
     * The deadline timer fired. The clock, not the timer, decides: the timer counts elapsed time
     * from when it was armed, while the deadline is a time on the clock (the token's {@code exp}),
     * and the two part when the wall clock is stepped, or when a test drives the clock. If the
     * clock has not reached the deadline, the timer looks again when it should have, and at the
     * latest in {@value #RECHECK_MILLIS} ms, so the session still ends within that of its expiry.
     */
    private void deadlineReached() {
        deadline = null;
        long at = identity.expiresAtMillis();
        if (at != 0 && !endIfExpired()) {
            armDeadline(Math.min(at - clock.millis(), RECHECK_MILLIS));
        }
    }

    /**
     * Ends the session if the clock has reached its deadline. Called by the deadline timer and
     * for every frame on the open session, so no request is served after expiry even when the
     * timer runs late.
     *
     * @return whether the session expired (it is closing and the frame must be dropped)
     */
    boolean endIfExpired() {
        Identity who = identity;
        long at = who == null ? 0 : who.expiresAtMillis();
        if (at == 0 || clock.millis() < at) {
            return false;
        }
        cancel();
        LOG.info("{}: session of '{}' expired at {} without re-authentication; closing", ctx.channel().remoteAddress(),
                who.principal(), Instant.ofEpochMilli(at));
        listener.sessionExpired(ctx.channel(), who.principal(), who.mechanism());
        outcome.expired("the session expired at " + Instant.ofEpochMilli(at)
                + "; renew it before expiry by sending AUTH " + mechanism.name() + " with a fresh token");
        return true;
    }

    /** Stops the deadline timer (the connection closed). */
    void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void logFailure(AuthStep.Failure failure) {
        // a reason quotes what the client sent; escaped again so that no mechanism's slip reaches the log raw
        LOG.info("{}: {} authentication{} failed: {}", ctx.channel().remoteAddress(), mechanism == null ? "?"
                : mechanism.name(), failure.account() == null ? "" : " of " + PeerText.quote(failure.account()),
                PeerText.escapeComposed(failure.reason()));
        listener.authenticationFailed(ctx.channel(), failure.account(), mechanism == null ? null : mechanism.name(),
                failure.reason());
    }

    private void reply(int correlationId, ErrorCode code, String message) {
        ctx.writeAndFlush(new ErrorFrame(correlationId, code.code(), message), ctx.voidPromise());
    }
}
