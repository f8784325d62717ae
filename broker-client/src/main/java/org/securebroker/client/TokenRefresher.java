package org.securebroker.client;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.securebroker.client.internal.auth.TokenExchange;
import org.securebroker.client.internal.auth.TokenSource;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Frame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an expiring session alive: before the broker's deadline it fetches a fresh token and
 * sends AUTH (mechanism JWT) on the same connection, pipelined with other traffic, as
 * {@link RefreshSchedule} says. AUTH_OK carries the new deadline; an ERROR (the broker keeps the
 * old deadline), a timeout or a failing supplier is logged without the token and retried. If no
 * attempt succeeds the broker ends the session with SESSION_EXPIRED and the client reconnects,
 * which authenticates with a fresh token.
 *
 * <p>Thread-safety: confined to the event loop; only the supplier runs on the authentication
 * thread.
 */
final class TokenRefresher {

    private static final Logger LOG = LoggerFactory.getLogger(TokenRefresher.class);

    private final Session session;
    private final TokenSource tokens;
    private final EventLoop loop;
    private final Executor authExecutor;
    private final Clock clock;
    private final Duration requestTimeout;
    private final LongConsumer expiryChanged;
    private long expiresAtMillis;
    private int failures;
    private ScheduledFuture<?> timer;
    private boolean stopped;
    private boolean warnedShortLifetime;

    /**
     * @param expiryChanged told each new deadline (epoch milliseconds, 0 = none) on the event loop
     */
    TokenRefresher(Session session, TokenSource tokens, EventLoop loop, Executor authExecutor, Clock clock,
                   Duration requestTimeout, LongConsumer expiryChanged) {
        this.session = session;
        this.tokens = tokens;
        this.loop = loop;
        this.authExecutor = authExecutor;
        this.clock = clock;
        this.requestTimeout = requestTimeout;
        this.expiryChanged = expiryChanged;
    }

    /** Schedules the first re-authentication of a session that expires at {@code expiresAtMillis}. */
    void start(long expiresAtMillis) {
        this.expiresAtMillis = expiresAtMillis;
        schedule(RefreshSchedule.refreshDelay(clock.millis(), expiresAtMillis, Duration.ZERO));
    }

    /** Stops for good (the session ended or the client closed). Idempotent. */
    void stop() {
        stopped = true;
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private boolean finished() {
        return stopped || session.isClosed();
    }

    private void schedule(Duration delay) {
        if (finished()) {
            return;
        }
        LOG.debug("Re-authenticating with {} in {} ms", session.address(), delay.toMillis());
        timer = loop.schedule(this::refresh, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void refresh() {
        if (finished()) {
            return;
        }
        int maxBytes = TokenSource.maxTokenBytes(session.maxFrameSize());
        CompletableFuture<byte[]> token;
        try {
            token = CompletableFuture.supplyAsync(() -> tokens.fetch(maxBytes), authExecutor);
        } catch (RejectedExecutionException e) {
            LOG.debug("Client closed before re-authenticating with {}", session.address());
            return;
        }
        token.whenComplete((bytes, error) -> {
            try {
                loop.execute(() -> send(bytes, error));
            } catch (RejectedExecutionException e) {
                wipe(bytes);
                LOG.debug("Client closed while fetching a token for {}", session.address());
            }
        });
    }

    private void send(byte[] token, Throwable error) {
        try {
            if (finished()) {
                return;
            }
            if (error != null) {
                failed(error);
                return;
            }
            Bytes credential = Bytes.copyOf(token);
            CompletableFuture<Frame> reply = new CompletableFuture<>();
            session.call(id -> new AuthFrame(id, TokenExchange.MECHANISM, credential), AuthOkFrame.class, reply,
                    requestTimeout);
            session.flush();
            reply.whenComplete((frame, failure) -> {
                if (failure != null) {
                    failed(failure);
                } else {
                    succeeded((AuthOkFrame) frame);
                }
            });
        } finally {
            wipe(token);
        }
    }

    private void succeeded(AuthOkFrame ok) {
        if (finished()) {
            return;
        }
        failures = 0;
        if (!ok.principal().equals(session.principal())) {
            LOG.warn("Re-authentication with {} named principal '{}', but the session belongs to '{}'",
                    session.address(), ok.principal(), session.principal());
        }
        expiresAtMillis = Math.max(0, ok.sessionExpiresAtMillis());
        expiryChanged.accept(expiresAtMillis);
        if (expiresAtMillis == 0) {
            LOG.info("Re-authenticated with {}; the session no longer expires", session.address());
            return;
        }
        long now = clock.millis();
        LOG.debug("Re-authenticated with {}; the session now expires at {}", session.address(),
                Instant.ofEpochMilli(expiresAtMillis));
        if (expiresAtMillis - now < RefreshSchedule.MIN_LEAD.toMillis() && !warnedShortLifetime) {
            warnedShortLifetime = true;
            LOG.warn("{} granted a session of only {} ms; tokens are short-lived or the clocks disagree",
                    session.address(), expiresAtMillis - now);
        }
        schedule(RefreshSchedule.refreshDelay(now, expiresAtMillis, RefreshSchedule.MIN_INTERVAL));
    }

    private void failed(Throwable error) {
        if (finished()) {
            return;
        }
        failures++;
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        Optional<Duration> retry = RefreshSchedule.retryDelay(failures, clock.millis(), expiresAtMillis);
        if (retry.isPresent()) {
            LOG.warn("Re-authentication with {} failed (attempt {}): {}; retrying in {} ms", session.address(),
                    failures, cause.getMessage(), retry.get().toMillis());
            schedule(retry.get());
        } else {
            LOG.warn("Re-authentication with {} failed (attempt {}): {}; no time is left before the session"
                    + " expires at {}, so the client will reconnect when the broker ends it", session.address(),
                    failures, cause.getMessage(), Instant.ofEpochMilli(expiresAtMillis));
        }
    }

    private static void wipe(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }
}
