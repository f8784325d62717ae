package org.securebroker.client;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.client.internal.auth.TokenSource;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link BrokerClient} implementation: owns the threads, the current session and the
 * lifecycle (connected, reconnecting, given up, closed), and wires the publish and consume
 * paths and the administrative requests to the connection.
 *
 * <p>Threads: one Netty event loop (the I/O thread) on which all connection, publish and
 * consumer state lives; one completion thread that completes the application's send futures;
 * a resolver thread, started on demand, for host name lookups (which block); an authentication
 * thread, started on demand, for the token supplier and SCRAM's key derivation (which are slow);
 * and the subscriptions' callback executors. API methods called by the
 * application only read volatile fields and hand work to the I/O thread.
 *
 * <p>Thread-safety: thread-safe.
 */
final class ClientCore implements BrokerClient {

    private static final Logger LOG = LoggerFactory.getLogger(ClientCore.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);
    private static final Duration RESOLVER_IDLE = Duration.ofSeconds(10);
    private static final Duration AUTH_IDLE = Duration.ofSeconds(10);
    private static final long MIN_SWEEP_MILLIS = 10;
    private static final long MAX_SWEEP_MILLIS = 100;

    private final ClientConfig config;
    private final String name;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final ExecutorService completions;
    private final ThreadPoolExecutor resolver;
    private final ThreadPoolExecutor authWorker;
    private final ConnectionSupervisor supervisor;
    private final Publisher publisher;
    private final Consumers consumers;
    private final AdminRequests admin;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private volatile BrokerException givenUp;
    private volatile int maxFrameSize;
    private volatile int protocolVersion;
    private volatile String principal = "";
    private volatile long sessionExpiresAtMillis;

    // I/O thread
    private Session session;
    private TokenRefresher refresher;
    private ScheduledFuture<?> sweep;

    private ClientCore(ClientConfig config, SslContext sslContext) {
        this.config = config;
        this.name = ClientThreads.nextClientName();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-io", true),
                NioIoHandler.newFactory());
        this.loop = group.next();
        this.completions = Executors.newSingleThreadExecutor(ClientThreads.daemon(name + "-completion"));
        // Host name lookups block, so they get their own thread, started on demand and idle-stopped.
        this.resolver = new ThreadPoolExecutor(1, 1, RESOLVER_IDLE.toMillis(), TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), ClientThreads.daemon(name + "-resolver"));
        this.resolver.allowCoreThreadTimeOut(true);
        // Token suppliers and PBKDF2 may take a while; they never run on the I/O thread.
        this.authWorker = new ThreadPoolExecutor(1, 1, AUTH_IDLE.toMillis(), TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), ClientThreads.daemon(name + "-auth"));
        this.authWorker.allowCoreThreadTimeOut(true);
        this.publisher = new Publisher(newProducerId(config.context().random()), config.maxInFlightSends(),
                config.sendBufferPolicy(), config.requestTimeout(), completions, config.integrity());
        Wiring wiring = new Wiring();
        this.consumers = new Consumers(wiring, name, config.callbackExecutor(), config.requestTimeout(),
                config.integrity());
        this.admin = new AdminRequests(wiring, config.requestTimeout(), config.integrity());
        this.supervisor = new ConnectionSupervisor(config, loop, sslContext, resolver, authWorker, wiring);
    }

    /**
     * Creates a client and connects it (see {@code BrokerClientBuilder.connect()}).
     *
     * @throws BrokerException if no address could be connected and authenticated
     */
    public static BrokerClient connect(ClientConfig config) {
        SslContext sslContext;
        try {
            sslContext = TlsContextFactory.create(config.trustedCertificates(), config.clientCertificate(),
                    config.tlsProvider());
        } catch (RuntimeException e) {
            config.authentication().forget();
            throw e;
        }
        ClientCore client = new ClientCore(config, sslContext);
        try {
            client.start();
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private void start() {
        long sweepMillis = Math.max(MIN_SWEEP_MILLIS,
                Math.min(MAX_SWEEP_MILLIS, config.requestTimeout().toMillis() / 20));
        loop.execute(() -> sweep = loop.scheduleAtFixedRate(() -> publisher.expire(System.nanoTime()),
                sweepMillis, sweepMillis, TimeUnit.MILLISECONDS));
        Duration budget = config.connectTimeout().multipliedBy(config.addresses().size());
        Blocking.await(supervisor.connectInitially(), budget, "connecting to " + config.addresses());
        LOG.debug("{} connected with producer id {}", name, publisher.producerId());
    }

    private static String newProducerId(SecureRandom source) {
        byte[] random = new byte[8];
        source.nextBytes(random);
        return "p-" + HexFormat.of().formatHex(random);
    }

    @Override
    public String producerId() {
        return publisher.producerId();
    }

    @Override
    public String principal() {
        return principal;
    }

    @Override
    public Optional<Instant> sessionExpiresAt() {
        long expiresAt = sessionExpiresAtMillis;
        return expiresAt > 0 ? Optional.of(Instant.ofEpochMilli(expiresAt)) : Optional.empty();
    }

    // ---------------------------------------------------------------- publish

    @Override
    public CompletableFuture<SendReceipt> sendAsync(String queue, Message message) {
        WireSizes.checkQueueName(queue);
        Objects.requireNonNull(message, "message");
        try {
            return submit(queue, message).result();
        } catch (BrokerException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public SendReceipt send(String queue, Message message) {
        WireSizes.checkQueueName(queue);
        Objects.requireNonNull(message, "message");
        return submit(queue, message).await(Blocking.GRACE.toNanos(), config.requestTimeout());
    }

    private PendingPublish submit(String queue, Message message) {
        checkUsable();
        PendingPublish p = publisher.enqueue(queue, message, maxFrameSize);
        BrokerException unusable = unusableReason();
        if (unusable != null) {
            // close() may already have failed everything it could find.
            p.fail(unusable);
            return p;
        }
        if (drainScheduled.compareAndSet(false, true) && !executeOnLoop(this::drainPublishes)) {
            p.fail(new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed"));
        }
        return p;
    }

    private void drainPublishes() {
        drainScheduled.set(false);
        BrokerException unusable = unusableReason();
        if (unusable != null) {
            publisher.failAll(unusable);
        } else {
            publisher.drain(session);
        }
    }

    // ---------------------------------------------------------------- consume

    @Override
    public Subscription subscribe(String queue, String subscription, SubscribeOptions options,
                                  MessageHandler handler) {
        WireSizes.checkQueueName(queue);
        WireSizes.checkString("subscription", subscription);
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(handler, "handler");
        checkUsable();
        SubscriptionImpl s = consumers.create(queue, subscription, options, handler);
        CompletableFuture<Void> attached = new CompletableFuture<>();
        if (!executeOnLoop(() -> consumers.attach(s, attached))) {
            s.terminate();
            throw new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed");
        }
        try {
            Blocking.await(attached, config.requestTimeout(), "SUBSCRIBE to '" + queue + "'");
        } catch (BrokerException e) {
            s.terminate();
            throw e;
        }
        return s;
    }

    // ---------------------------------------------------------------- admin

    @Override
    public void createQueue(QueueSpec spec) {
        admin.createQueue(spec);
    }

    @Override
    public void deleteQueue(String queue) {
        admin.deleteQueue(queue);
    }

    @Override
    public List<QueueInfo> listQueues() {
        return admin.listQueues();
    }

    @Override
    public void reload() {
        admin.reload();
    }

    @Override
    public int protocolVersion() {
        return protocolVersion;
    }

    @Override
    public List<SubscriptionInfo> listSubscriptions(String queue) {
        return admin.listSubscriptions(queue);
    }

    @Override
    public void deleteSubscription(String queue, String subscription) {
        admin.deleteSubscription(queue, subscription);
    }

    @Override
    public long purgeQueue(String queue) {
        return admin.purgeQueue(queue);
    }

    @Override
    public BrowseResult browse(String queue, long fromOffset, int maxMessages) {
        return admin.browse(queue, fromOffset, maxMessages);
    }

    @Override
    public long seek(String queue, String subscription, long offset) {
        return admin.seek(queue, subscription, offset);
    }

    @Override
    public long seekToTime(String queue, String subscription, Instant time) {
        return admin.seekToTime(queue, subscription, time);
    }

    // ---------------------------------------------------------------- lifecycle

    private BrokerException unusableReason() {
        if (closed.get()) {
            return new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed");
        }
        BrokerException failure = givenUp;
        return failure != null ? failure.rethrownHere() : null;
    }

    private void checkUsable() {
        BrokerException unusable = unusableReason();
        if (unusable != null) {
            throw unusable;
        }
    }

    private Session currentSession() {
        return session;
    }

    private boolean executeOnLoop(Runnable task) {
        try {
            loop.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void sessionOpened(Session opened) {
        if (closed.get()) {
            opened.closeGracefully();
            return;
        }
        session = opened;
        maxFrameSize = opened.maxFrameSize();
        protocolVersion = opened.version();
        principal = opened.principal();
        watchExpiry(opened);
        consumers.sessionOpened(opened);
        publisher.drain(opened);
        opened.flush();
    }

    /** Re-authenticates an expiring session with fresh tokens, if the client has a token supplier. */
    private void watchExpiry(Session opened) {
        long expiresAt = opened.sessionExpiresAtMillis();
        sessionExpiresAtMillis = expiresAt;
        if (expiresAt == 0) {
            return;
        }
        Optional<TokenSource> tokens = config.authentication().tokenSource();
        if (tokens.isEmpty()) {
            LOG.warn("{}: {} ends this {} session at {}; without a token supplier the client cannot"
                    + " re-authenticate it and will reconnect then", name, opened.address(), opened.mechanism(),
                    Instant.ofEpochMilli(expiresAt));
            return;
        }
        refresher = new TokenRefresher(opened, tokens.get(), loop, authWorker, config.context().clock(),
                config.requestTimeout(), renewed -> sessionExpiresAtMillis = renewed);
        refresher.start(expiresAt);
    }

    private void stopRefresher() {
        if (refresher != null) {
            refresher.stop();
            refresher = null;
        }
        sessionExpiresAtMillis = 0;
    }

    private void onDeliver(Session from, DeliverFrame frame) {
        if (from == session) {
            consumers.onDeliver(frame);
        }
    }

    private void onCancel(Session from, CancelFrame frame) {
        if (from == session) {
            consumers.onCancel(frame);
        }
    }

    private void onSessionClosed(Session lost, BrokerException reason) {
        if (lost != session) {
            return;
        }
        session = null;
        stopRefresher();
        List<PublishBatch> unacknowledged = new ArrayList<>();
        for (PendingRequest r : lost.drainPending()) {
            if (r instanceof PublishBatch batch) {
                unacknowledged.add(batch);
            } else {
                r.fail(new BrokerException(ErrorCode.CONNECTION_LOST, "connection lost before the answer to "
                        + r.describe() + ": " + reason.getMessage(), reason));
            }
        }
        publisher.requeue(unacknowledged);
        consumers.sessionLost();
        if (closed.get()) {
            return;
        }
        LOG.warn("{}: connection to {} lost ({}); reconnecting", name, lost.address(), reason.getMessage());
        supervisor.connectionLost();
    }

    private void reconnectAbandoned(BrokerException reason) {
        givenUp = reason;
        LOG.error("{}: stopped reconnecting to the broker: {}", name, reason.getMessage());
        publisher.failAll(reason);
        consumers.terminateAll();
        config.authentication().forget();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<Void> disconnected = new CompletableFuture<>();
        boolean scheduled = executeOnLoop(() -> {
            supervisor.stop();
            if (sweep != null) {
                sweep.cancel(false);
            }
            BrokerException closedError = new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed");
            Session s = session;
            session = null;
            stopRefresher();
            if (s != null) {
                s.drainPending().forEach(r -> r.fail(closedError));
            }
            publisher.failAll(closedError);
            consumers.terminateAll();
            if (s == null) {
                disconnected.complete(null);
            } else {
                ChannelFuture closing = s.closeGracefully();
                closing.addListener(f -> disconnected.complete(null));
            }
        });
        if (scheduled && !loop.inEventLoop()) {
            try {
                disconnected.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.debug("{}: connection did not close within {} ms", name, CLOSE_WAIT.toMillis());
            }
        }
        group.shutdownGracefully(0, CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        completions.shutdown();
        resolver.shutdown();
        // Interrupts a token supplier that is still waiting for its identity provider.
        authWorker.shutdownNow();
        config.authentication().forget();
        LOG.debug("{} closed", name);
    }

    @Override
    public String toString() {
        return name + "[producerId=" + publisher.producerId() + ", principal=" + principal + "]";
    }

    /** Connects the I/O-side collaborators to this client without making the callbacks API. */
    private final class Wiring implements ConnectionSupervisor.Listener, Consumers.Host, AdminRequests.Host {
        @Override
        public Session currentSession() {
            return ClientCore.this.currentSession();
        }

        @Override
        public boolean executeOnLoop(Runnable task) {
            return ClientCore.this.executeOnLoop(task);
        }

        @Override
        public int protocolVersion() {
            return ClientCore.this.protocolVersion;
        }

        @Override
        public void checkUsable() {
            ClientCore.this.checkUsable();
        }

        @Override
        public int maxFrameSize() {
            return ClientCore.this.maxFrameSize;
        }

        @Override
        public void sessionOpened(Session session) {
            ClientCore.this.sessionOpened(session);
        }

        @Override
        public void reconnectAbandoned(BrokerException reason) {
            ClientCore.this.reconnectAbandoned(reason);
        }

        @Override
        public void onDeliver(Session session, DeliverFrame frame) {
            ClientCore.this.onDeliver(session, frame);
        }

        @Override
        public void onCancel(Session session, CancelFrame frame) {
            ClientCore.this.onCancel(session, frame);
        }

        @Override
        public void onSessionClosed(Session session, BrokerException reason) {
            ClientCore.this.onSessionClosed(session, reason);
        }

        @Override
        public void onWritable(Session session) {
            // publishes held back while the channel was full go out now
            if (session == currentSession()) {
                drainPublishes();
            }
        }
    }
}
