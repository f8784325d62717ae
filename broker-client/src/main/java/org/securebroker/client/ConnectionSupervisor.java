package org.securebroker.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.securebroker.protocol.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes connections: the initial one (each address once) and, after a connection is lost,
 * reconnect attempts spaced by the {@link org.securebroker.client.ReconnectPolicy}, going to the
 * addresses in turn.
 *
 * <p>Each attempt covers DNS resolution, TCP connect, TLS and the HELLO/AUTH handshake within
 * the connect timeout, and authenticates with the configured mechanism. Host names are resolved
 * on the client's resolver thread, and authentication responses computed on its authentication
 * thread, never on the I/O thread. An attempt that the broker refuses with a non-retriable code (for example
 * AUTHENTICATION_FAILED) ends reconnecting: trying again would fail the same way.
 *
 * <p>Thread-safety: {@link #connectInitially()} may be called from any thread; everything else
 * runs on the event loop.
 */
final class ConnectionSupervisor {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionSupervisor.class);

    /** Receives sessions and the end of reconnecting. Called on the event loop. */
    interface Listener extends Session.Owner {
        /** A connection is authenticated and ready. */
        void sessionOpened(Session session);

        /** Reconnecting stopped for good, because of {@code reason}. */
        void reconnectAbandoned(BrokerException reason);
    }

    private final ClientConfig config;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final SslContext sslContext;
    private final Executor resolver;
    private final Executor authExecutor;
    private final Listener listener;
    private final List<BrokerAddress> addresses;

    private int addressIndex;
    private int failedAttempts;
    private boolean stopped;
    private Attempt attempt;
    private ScheduledFuture<?> retryTimer;

    ConnectionSupervisor(ClientConfig config, EventLoop loop, SslContext sslContext,
                         Executor resolver, Executor authExecutor, Listener listener) {
        this.config = config;
        this.loop = loop;
        this.sslContext = sslContext;
        this.resolver = resolver;
        this.authExecutor = authExecutor;
        this.listener = listener;
        this.addresses = config.addresses();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true);
    }

    /**
     * Tries each address once, in order, until one connects and authenticates.
     *
     * @return completes when a session is open, or fails with the last attempt's error (or
     *     at once with an error the broker says is not retriable)
     */
    CompletableFuture<Void> connectInitially() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        loop.execute(() -> tryInitial(0, null, result));
        return result;
    }

    private void tryInitial(int index, BrokerException previous, CompletableFuture<Void> result) {
        if (stopped) {
            result.completeExceptionally(new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed"));
            return;
        }
        if (index >= addresses.size()) {
            result.completeExceptionally(previous);
            return;
        }
        addressIndex = index;
        start(addresses.get(index), () -> result.complete(null), error -> {
            if (previous != null && error != previous) {
                error.addSuppressed(previous);
            }
            if (isFatal(error)) {
                result.completeExceptionally(error);
            } else {
                tryInitial(index + 1, error, result);
            }
        });
    }

    /** The open session ended unexpectedly: start reconnecting. */
    void connectionLost() {
        failedAttempts = 0;
        scheduleReconnect(null);
    }

    private void scheduleReconnect(BrokerException lastError) {
        if (stopped) {
            return;
        }
        Optional<Duration> delay = config.reconnectPolicy().delayBeforeAttempt(failedAttempts + 1);
        if (delay.isEmpty()) {
            stopped = true;
            listener.reconnectAbandoned(new BrokerException(ErrorCode.CONNECTION_LOST,
                    "gave up reconnecting to the broker after " + failedAttempts + " failed attempts"
                            + (lastError != null ? "; last error: " + lastError.getMessage() : ""),
                    lastError));
            return;
        }
        addressIndex = (addressIndex + 1) % addresses.size();
        BrokerAddress next = addresses.get(addressIndex);
        LOG.debug("Reconnect attempt {} to {} in {} ms", failedAttempts + 1, next, delay.get().toMillis());
        retryTimer = loop.schedule(() -> start(next, () -> failedAttempts = 0, error -> {
            failedAttempts++;
            if (isFatal(error)) {
                stopped = true;
                listener.reconnectAbandoned(error);
            } else {
                LOG.info("Reconnect attempt {} to {} failed: {}", failedAttempts, next, error.getMessage());
                scheduleReconnect(error);
            }
        }), delay.get().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Stops connecting: cancels a scheduled or running attempt. */
    void stop() {
        stopped = true;
        if (retryTimer != null) {
            retryTimer.cancel(false);
        }
        if (attempt != null) {
            attempt.fail(new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed"));
        }
    }

    /**
     * A refusal by the broker that will not change on retry ends reconnecting. Client-side codes
     * (70-79: lost connections, timeouts) and TLS failures never do.
     */
    private static boolean isFatal(BrokerException error) {
        int code = error.rawCode();
        boolean clientSide = code >= ErrorCode.CONNECTION_LOST.code() && code < 80;
        return !error.retriable() && !clientSide;
    }

    private void start(BrokerAddress address, Runnable onOpen, Consumer<BrokerException> onFailure) {
        Attempt a = new Attempt(address, onOpen, onFailure);
        attempt = a;
        a.start();
    }

    /** One connection attempt; reports its outcome exactly once. */
    private final class Attempt implements ConnectionHandler.HandshakeListener {
        private final BrokerAddress address;
        private final Runnable onOpen;
        private final Consumer<BrokerException> onFailure;
        private boolean done;
        private Channel channel;
        private ScheduledFuture<?> timer;

        Attempt(BrokerAddress address, Runnable onOpen, Consumer<BrokerException> onFailure) {
            this.address = address;
            this.onOpen = onOpen;
            this.onFailure = onFailure;
        }

        void start() {
            Duration timeout = config.connectTimeout();
            timer = loop.schedule(() -> fail(new BrokerException(ErrorCode.TIMEOUT, "connecting to "
                    + address + " took longer than " + timeout.toMillis() + " ms")),
                    timeout.toNanos(), TimeUnit.NANOSECONDS);
            try {
                resolver.execute(this::resolveAndConnect);
            } catch (RejectedExecutionException e) {
                fail(new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed", e));
            }
        }

        private void resolveAndConnect() {
            InetSocketAddress resolved = new InetSocketAddress(address.host(), address.port());
            try {
                loop.execute(() -> connect(resolved));
            } catch (RejectedExecutionException e) {
                LOG.debug("Client closed while resolving {}", address);
            }
        }

        private void connect(InetSocketAddress resolved) {
            if (done) {
                return;
            }
            if (resolved.isUnresolved()) {
                fail(new BrokerException(ErrorCode.CONNECTION_LOST, "cannot resolve " + address.host()));
                return;
            }
            ConnectionHandler handler = new ConnectionHandler(address, config.authentication(),
                    config.clientId(), authExecutor, this);
            ChannelFuture future = bootstrap.clone()
                    .handler(new ClientChannelInitializer(sslContext, address,
                            config.connectTimeout().toMillis(), handler))
                    .connect(resolved);
            channel = future.channel();
            future.addListener(f -> {
                if (!f.isSuccess()) {
                    fail(new BrokerException(ErrorCode.CONNECTION_LOST, "cannot connect to "
                            + address + ": " + f.cause().getMessage(), f.cause()));
                }
            });
        }

        @Override
        public ConnectionHandler.SessionListener opened(Channel ch, HandshakeResult result) {
            Session session = new Session(ch, result, address, listener);
            if (done) {
                session.abort();
                return session;
            }
            done = true;
            timer.cancel(false);
            attempt = null;
            LOG.info("Connected to {} (server {}) as {} ({})", address, result.serverId(), result.principal(),
                    result.mechanism());
            listener.sessionOpened(session);
            onOpen.run();
            return session;
        }

        @Override
        public void failed(BrokerException error) {
            fail(error);
        }

        void fail(BrokerException error) {
            if (done) {
                return;
            }
            done = true;
            timer.cancel(false);
            if (attempt == this) {
                attempt = null;
            }
            if (channel != null) {
                channel.close();
            }
            onFailure.accept(error);
        }
    }
}
