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
import java.util.function.IntFunction;
import org.securebroker.client.internal.auth.TokenSource;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.DeleteSubscriptionFrame;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.PurgeOkFrame;
import org.securebroker.protocol.frame.PurgeQueueFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscriptionListFrame;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.ListQueuesFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.QueueListFrame;
import org.securebroker.protocol.frame.ReloadFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link BrokerClient} implementation: owns the threads, the current session and the
 * lifecycle (connected, reconnecting, given up, closed), and wires the publish and consume
 * paths to the connection.
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
        Objects.requireNonNull(spec, "spec");
        request(id -> new CreateQueueFrame(id, spec.name(), spec.maxDeliveries(), spec.deadLetterQueue(),
                spec.defaultTtl().toMillis(), spec.requireProducerSignatures()), OkFrame.class, "CREATE_QUEUE '" + spec.name() + "'");
    }

    @Override
    public void deleteQueue(String queue) {
        WireSizes.checkQueueName(queue);
        request(id -> new DeleteQueueFrame(id, queue), OkFrame.class, "DELETE_QUEUE '" + queue + "'");
    }

    @Override
    public List<QueueInfo> listQueues() {
        QueueListFrame list = (QueueListFrame) request(ListQueuesFrame::new, QueueListFrame.class, "LIST_QUEUES");
        List<QueueInfo> result = new ArrayList<>(list.queues().size());
        for (org.securebroker.protocol.frame.QueueInfo q : list.queues()) {
            result.add(new QueueInfo(q.name(), q.messages(), q.subscriptions(), q.maxDeliveries(),
                    q.deadLetterQueue(), Duration.ofMillis(q.defaultTtlMillis())));
        }
        return List.copyOf(result);
    }

    @Override
    public void reload() {
        request(ReloadFrame::new, OkFrame.class, "RELOAD");
    }

    // ---------------------------------------------------------------- subscription lifecycle

    @Override
    public int protocolVersion() {
        return protocolVersion;
    }

    @Override
    public List<SubscriptionInfo> listSubscriptions(String queue) {
        WireSizes.checkQueueName(queue);
        SubscriptionListFrame list = (SubscriptionListFrame) request(id -> new ListSubscriptionsFrame(id, queue),
                SubscriptionListFrame.class, "LIST_SUBSCRIPTIONS of '" + queue + "'",
                ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
        List<SubscriptionInfo> result = new ArrayList<>(list.subscriptions().size());
        for (org.securebroker.protocol.frame.SubscriptionInfo s : list.subscriptions()) {
            result.add(new SubscriptionInfo(s.name(), s.consumers(), s.pending(), s.inFlight(), s.cursor(),
                    epochMillis(s.lastActiveMillis()), epochMillis(s.expiresAtMillis())));
        }
        return List.copyOf(result);
    }

    private static Optional<Instant> epochMillis(long millis) {
        return millis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
    }

    @Override
    public void deleteSubscription(String queue, String subscription) {
        WireSizes.checkQueueName(queue);
        WireSizes.checkString("subscription", subscription);
        request(id -> new DeleteSubscriptionFrame(id, queue, subscription), OkFrame.class,
                "DELETE_SUBSCRIPTION '" + subscription + "' of '" + queue + "'", ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
    }

    @Override
    public long purgeQueue(String queue) {
        WireSizes.checkQueueName(queue);
        PurgeOkFrame ok = (PurgeOkFrame) request(id -> new PurgeQueueFrame(id, queue), PurgeOkFrame.class,
                "PURGE_QUEUE '" + queue + "'", ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
        return ok.purged();
    }

    @Override
    public BrowseResult browse(String queue, long fromOffset, int maxMessages) {
        WireSizes.checkQueueName(queue);
        if (fromOffset < 0) {
            throw new IllegalArgumentException("fromOffset must not be negative, got " + fromOffset);
        }
        if (maxMessages < 1 || maxMessages > ProtocolLimits.MAX_BROWSE_MESSAGES) {
            throw new IllegalArgumentException("maxMessages " + maxMessages + " is outside [1, "
                    + ProtocolLimits.MAX_BROWSE_MESSAGES + "]");
        }
        String what = "BROWSE of '" + queue + "' from offset " + fromOffset;
        Optional<MessageVerifier> verifier = config.integrity().deliveryVerifier("browsing '" + queue + "'");
        // the answer must fit one frame; the broker keeps it below that, and at least one message
        long maxBytes = maxFrameSize;
        BrowseResultFrame page = (BrowseResultFrame) request(id -> new BrowseFrame(id, queue, fromOffset, maxMessages,
                maxBytes), BrowseResultFrame.class, what, ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
        List<BrowsedMessage> messages = new ArrayList<>(page.messages().size());
        for (org.securebroker.protocol.frame.BrowsedMessage m : page.messages()) {
            BrowsedMessage message = BrowsedMessage.of(queue, m);
            verifier.ifPresent(v -> verify(v, message, what));
            messages.add(message);
        }
        return new BrowseResult(messages, page.nextOffset());
    }

    private static void verify(MessageVerifier verifier, BrowsedMessage message, String what) {
        try {
            verifier.verify(message.signedMessage());
        } catch (IntegrityException e) {
            throw new BrokerException(ErrorCode.VERIFICATION_FAILED, what + ": the message at offset "
                    + Long.toUnsignedString(message.offset()) + " failed verification (" + e.reason() + "): "
                    + e.getMessage() + "; no message of the page was returned");
        }
    }

    @Override
    public long seek(String queue, String subscription, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, got " + offset);
        }
        return seek(queue, subscription, SeekFrame.Kind.OFFSET, offset, "offset " + offset);
    }

    @Override
    public long seekToTime(String queue, String subscription, Instant time) {
        Objects.requireNonNull(time, "time");
        long millis;
        try {
            millis = time.toEpochMilli();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("time " + time + " does not fit in epoch milliseconds", e);
        }
        return seek(queue, subscription, SeekFrame.Kind.TIME, millis, time.toString());
    }

    private long seek(String queue, String subscription, SeekFrame.Kind kind, long value, String target) {
        WireSizes.checkQueueName(queue);
        WireSizes.checkString("subscription", subscription);
        SeekOkFrame ok = (SeekOkFrame) request(id -> new SeekFrame(id, queue, subscription, kind, value),
                SeekOkFrame.class, "SEEK of '" + subscription + "' on '" + queue + "' to " + target,
                ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
        return ok.offset();
    }

    private Frame request(IntFunction<Frame> frame, Class<? extends Frame> expectedReply, String what) {
        return request(frame, expectedReply, what, ProtocolVersion.MIN);
    }

    /** Sends a request once connected to a broker that speaks {@code version}, and waits for the answer. */
    private Frame request(IntFunction<Frame> frame, Class<? extends Frame> expectedReply, String what, int version) {
        checkUsable();
        CompletableFuture<Frame> reply = new CompletableFuture<>();
        boolean scheduled = executeOnLoop(() -> {
            Session s = session;
            if (s == null) {
                reply.completeExceptionally(new BrokerException(ErrorCode.CONNECTION_LOST,
                        "not connected to the broker (reconnecting); " + what + " was not sent"));
                return;
            }
            if (s.version() < version) {
                reply.completeExceptionally(new BrokerException(ErrorCode.UNSUPPORTED_VERSION, what
                        + " needs protocol version " + version + ", the broker speaks " + s.version()));
                return;
            }
            s.call(frame, expectedReply, reply, config.requestTimeout());
            s.flush();
        });
        if (!scheduled) {
            throw new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed");
        }
        return Blocking.await(reply, config.requestTimeout(), what);
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
    private final class Wiring implements ConnectionSupervisor.Listener, Consumers.Host {
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
