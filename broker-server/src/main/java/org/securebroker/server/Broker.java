package org.securebroker.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.ErrorFrame;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.admin.AdminServer;
import org.securebroker.server.admin.AnomalyDetector;
import org.securebroker.server.admin.BrokerMetrics;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.audit.AuditSettings;
import org.securebroker.server.auth.AuthSecrets;
import org.securebroker.server.auth.Identity;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.server.auth.PasswordAuthenticator;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigChanges;
import org.securebroker.server.config.ConfigException;
import org.securebroker.server.config.ConfigLoader;
import org.securebroker.server.net.ConnectionListener;
import org.securebroker.server.net.Pipeline;
import org.securebroker.server.queue.EngineSettings;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyException;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.server.session.SessionHandler;
import org.securebroker.server.session.SessionSettings;
import org.securebroker.server.tls.TlsMaterial;
import org.securebroker.store.OffsetRange;
import org.securebroker.store.RetentionPolicy;
import org.securebroker.store.Store;
import org.securebroker.store.StoreConfig;
import org.securebroker.store.StoreException;
import org.securebroker.store.StoreListener;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running broker: the store, the users, the queue engine and the TLS listener, started from a
 * validated configuration and stopped in reverse order.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class Broker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    /** Sent in HELLO_OK. */
    public static final String SERVER_ID = "securebroker/0.1";

    private volatile BrokerConfig config;
    private volatile Path configFile;
    private final AnomalyDetector anomalies;
    private final Store store;
    private final UserStore users;
    private final PasswordAuthenticator authenticator;
    private final Mechanisms mechanisms;
    private final QueueEngine engine;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ScheduledExecutorService housekeeping;
    private final Channel serverChannel;
    private final TlsMaterial tls;
    private volatile Keyring keyring;
    private final java.util.concurrent.ExecutorService rewrapper = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "broker-rewrap");
        t.setDaemon(true);
        return t;
    });
    private final PolicyHolder policies;
    private final AuditLog audit;
    private final AccessControl access;
    private final BrokerAudit brokerAudit;
    private final BrokerMetrics metrics;
    private volatile AdminServer admin;
    private volatile boolean closed;

    private Broker(BrokerConfig config, Store store, UserStore users, PasswordAuthenticator authenticator,
                   Mechanisms mechanisms, QueueEngine engine, TlsMaterial tls, PolicyHolder policies, AuditLog audit,
                   AccessControl access, BrokerMetrics metrics, Keyring keyring)
            throws InterruptedException {
        this.config = config;
        this.keyring = keyring;
        this.metrics = metrics;
        this.policies = policies;
        this.audit = audit;
        this.access = access;
        this.brokerAudit = new BrokerAudit(access);
        this.tls = tls;
        this.store = store;
        this.users = users;
        this.authenticator = authenticator;
        this.mechanisms = mechanisms;
        this.engine = engine;
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("broker-accept", true), NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("broker-io", true), NioIoHandler.newFactory());
        BrokerConfig.Listener l = config.listener();
        SessionSettings sessionSettings = new SessionSettings(SERVER_ID, l.handshakeTimeout(), l.authTimeout(),
                l.maxFrameSize(), l.maxInFlightPublishes());
        this.anomalies = new AnomalyDetector(config.alerts(), Clock.systemUTC(), access::record);
        access.addObserver(anomalies::observe);
        access.addTrafficObserver(anomalies::traffic);
        ConnectionListener connections = ConnectionListener.both(brokerAudit,
                ConnectionListener.both(metrics, anomalies));
        Pipeline pipeline = new Pipeline(tls::context, l.handshakeTimeout().toMillis(),
                () -> new SessionHandler(sessionSettings, mechanisms, engine, connections, this::reload, access),
                connections);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new io.netty.channel.ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (closed || channels.size() >= l.maxConnections() || !access.auditWritable()) {
                            LOG.warn("refusing a connection from {}: {}", ch.remoteAddress(),
                                    closed ? "the broker is stopping" : !access.auditWritable()
                                            ? "the audit log cannot be written, so nothing could be recorded"
                                            : "the limit of " + l.maxConnections() + " connections is reached");
                            ch.close();
                            return;
                        }
                        channels.add(ch);
                        ch.pipeline().addLast(pipeline);
                    }
                });
        try {
            this.serverChannel = bootstrap.bind(l.host(), l.port()).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "broker-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(this::reloadUsers, 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(this::reloadPolicyIfChanged, 1, 1, TimeUnit.SECONDS);
        policies.addListener(this::policyChanged);
        housekeeping.scheduleWithFixedDelay(() -> {
            if (tls.reloadIfChanged()) {
                brokerAudit.event(AuditEvent.of("tls.reload").reason("files changed")
                        .detail("tlsCertificate", BrokerAudit.certificate(tls.serverCertificate())));
            }
        }, 5, 5, TimeUnit.SECONDS);
    }

    /**
     * Starts a broker.
     *
     * @throws IllegalStateException with a message naming what is wrong (a missing file, a key
     *     file with loose permissions, a port in use, ...)
     */
    public static Broker start(BrokerConfig config) {
        return start(config, DefaultFileLayer.INSTANCE);
    }

    /**
     * Starts a broker whose store reaches its files through {@code storeFiles} (tests use one
     * that fails on demand, to see what the broker does when its disk does).
     */
    public static Broker start(BrokerConfig config, FileLayer storeFiles) {
        BrokerMetrics metrics = new BrokerMetrics(Clock.systemUTC());
        Keyring keyring = config.keys().fromEnvironment()
                ? KeyringFile.fromEnvironment(config.keys().kekEnv(), System.getenv())
                : KeyringFile.load(config.keys().kekFile());
        BrokerConfig.StoreSettings s = config.store();
        RetentionPolicy retention = new RetentionPolicy(s.retentionMaxAge(), s.retentionMaxBytes());
        Store store = Store.open(StoreConfig.builder(config.storeDir())
                .segmentBytes(s.segmentBytes())
                .maxRecordBytes(config.queues().maxMessageBytes())
                .maxBatchBytes(Math.max(8 << 20, config.queues().maxMessageBytes() * 2))
                .subscriptionSyncInterval(s.subscriptionSyncInterval())
                .retention(retention)
                .listener(metrics.storeListener(new StoreLog()))
                .fileLayer(storeFiles)
                .build(), keyring);
        UserStore users = null;
        PasswordAuthenticator authenticator = null;
        QueueEngine engine = null;
        AuditLog audit = null;
        String auditKeyId = null;
        try {
            users = UserStore.load(config.auth().usersFile());
            PolicyHolder policies = loadPolicy(config.authorization().policyFile());
            AccessControl access;
            if (config.authorization().disabledForBenchmarks()) {
                LOG.warn("authorization.disabledForBenchmarks is on: every authenticated client may do everything and "
                        + "NOTHING IS AUDITED. Only for measuring what authorization and auditing cost; never in use.");
                access = AccessControl.unenforcedForBenchmarks(policies, users, Clock.systemUTC());
            } else {
                if (!Files.exists(config.audit().privateKey())) {
                    throw new IllegalStateException("the audit signing key " + config.audit().privateKey() + " does not "
                            + "exist: 'broker init' creates it on a new data directory, 'broker audit keygen' on an "
                            + "existing one");
                }
                Ed25519PrivateKeyParameters auditKey = AuditKeys.loadPrivate(config.audit().privateKey());
                auditKeyId = AuditKeys.keyId(auditKey);
                audit = openAudit(config.audit(), auditKey);
                access = AccessControl.enforcing(policies, users, audit, config.audit().allowAggregation(),
                        Clock.systemUTC());
            }
            BrokerConfig.Auth a = config.auth();
            SecureRandom random = new SecureRandom();
            authenticator = new PasswordAuthenticator(users, a.passwordHashing(), a.scramIterations(), a.hashThreads(),
                    a.hashQueue(), random);
            TlsMaterial tls = TlsMaterial.load(config.tls(), Clock.systemUTC());
            byte[] maskKey = AuthSecrets.loadOrCreate(config.dataDir().resolve(BrokerConfig.Layout.AUTH_SECRET), random);
            Mechanisms mechanisms = Mechanisms.standard(a, users, authenticator,
                    certificate -> tls.principalMapper().principal(certificate), maskKey, Clock.systemUTC(), random);
            BrokerConfig.Queues q = config.queues();
            engine = QueueEngine.start(store, config.queueCatalog(), new EngineSettings(q.ackTimeout(),
                    q.maxMessageBytes(), q.dedupWindow(), 10_000, Math.max(2, Runtime.getRuntime().availableProcessors())),
                    Clock.systemUTC(), q.define(), q.autoCreate());
            if (q.autoCreate()) {
                LOG.warn("queues.autoCreate is on: any authenticated client can create queues by publishing or subscribing");
            }
            access.addObserver(metrics::observe);
            Broker broker = new Broker(config, store, users, authenticator, mechanisms, engine, tls, policies, audit,
                    access, metrics, keyring);
            AuditLog auditLog = audit;
            metrics.bind(broker.channels::size, engine, store, () -> auditLog == null ? 0 : auditLog.lastSequence(),
                    broker::certificates, config.admin().perQueueMetrics());
            try {
                broker.startAdmin();
            } catch (RuntimeException | InterruptedException e) {
                broker.close();
                throw new IllegalStateException("cannot start the admin listener on " + config.admin().host() + ":"
                        + config.admin().port() + ": " + describe(e) + " (set admin.port, or admin.enabled: false)", e);
            }
            broker.brokerAudit.event(AuditEvent.of("broker.start")
                    .resource("tls://" + config.listener().host() + ":" + broker.port())
                    .policy(policies.current().version())
                    .detail("server", SERVER_ID)
                    .detail("kek", keyring.current().id())
                    .detail("auditKey", auditKeyId)
                    .detail("tlsCertificate", BrokerAudit.certificate(tls.serverCertificate())));
            LOG.info("broker listening on tls://{}:{} (data in {}, policy {})", config.listener().host(), broker.port(),
                    config.dataDir(), policies.current().version());
            return broker;
        } catch (IOException | RuntimeException | InterruptedException e) {
            closeAll(e, engine, authenticator, audit, store);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException(describe(e), e);
        }
    }

    private static PolicyHolder loadPolicy(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalStateException("the authorization policy " + file + " does not exist: 'broker init' creates "
                    + "one that lets the 'admin' role do everything, conf/policy.yaml shows every option");
        }
        try {
            return PolicyHolder.load(file);
        } catch (PolicyException e) {
            throw new IllegalStateException("the authorization policy " + file + " cannot be used: "
                    + String.join("; ", e.problems()));
        }
    }

    private static AuditLog openAudit(BrokerConfig.Audit a, Ed25519PrivateKeyParameters key) {
        return AuditLog.open(AuditSettings.of(a.dir(), key)
                .withCheckpoints(a.checkpointEntries(), a.checkpointInterval())
                .withRotation(a.rotateBytes(), a.rotateAge()), Clock.systemUTC());
    }

    private static String describe(Exception e) {
        if (e instanceof java.net.BindException) {
            return "cannot listen: " + e.getMessage() + " (is another broker running on that port?)";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** The port the listener is bound to. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public BrokerConfig config() {
        return config;
    }

    public QueueEngine engine() {
        return engine;
    }

    public Store store() {
        return store;
    }

    public PasswordAuthenticator authenticator() {
        return authenticator;
    }

    private void startAdmin() throws InterruptedException {
        BrokerConfig.Admin a = config.admin();
        if (a.enabled()) {
            admin = AdminServer.start(a.host(), a.port(), tls::context, this::unready, metrics);
        }
    }

    /** What keeps the broker from taking traffic now; empty when it is ready. */
    public List<String> unready() {
        List<String> problems = new ArrayList<>();
        if (closed) {
            problems.add("the broker is stopping");
        }
        if (!serverChannel.isActive()) {
            problems.add("the client listener is not bound");
        }
        if (!store.isWritable()) {
            problems.add("the store refuses writes: " + store.failure().map(Throwable::getMessage).orElse("failed"));
        }
        if (!access.auditWritable()) {
            problems.add("the audit log cannot be written");
        }
        return problems;
    }

    /** The admin listener's port, or -1 when it is off. */
    public int adminPort() {
        AdminServer a = admin;
        return a == null ? -1 : a.port();
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    private Map<String, X509Certificate> certificates() {
        Map<String, X509Certificate> out = new LinkedHashMap<>();
        out.put("server", tls.serverCertificate());
        tls.clientVerifier().ifPresent(v -> {
            List<X509Certificate> cas = v.clientCas();
            for (int i = 0; i < cas.size(); i++) {
                out.put(cas.size() == 1 ? "client-ca" : "client-ca-" + (i + 1), cas.get(i));
            }
        });
        return out;
    }

    /** The TLS material in force; {@link TlsMaterial#reload()} applies changed files to new connections. */
    public TlsMaterial tls() {
        return tls;
    }

    public Path dataDir() {
        return config.dataDir();
    }

    /**
     * Reloads what can change while the broker runs: the TLS material (server certificate and
     * key, client CA, CRL) and the JWT verification keys. Each part is validated before it
     * replaces the old one; a part that fails keeps its old state.
     *
     * @throws IllegalStateException naming what could not be reloaded
     */
    public void reload() {
        reloadConfig();
        List<String> problems = new ArrayList<>();
        try {
            tls.reload();
            brokerAudit.event(AuditEvent.of("tls.reload").detail("tlsCertificate", BrokerAudit.certificate(tls.serverCertificate())));
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("tls.reload").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            mechanisms.reload();
            if (config.auth().jwt() != null) {
                brokerAudit.event(AuditEvent.of("key.jwt.reload"));
            }
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("key.jwt.reload").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            reloadKeyring();
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            brokerAudit.event(AuditEvent.of("key.kek.rotate").decision("deny").reason("refused: " + e.getMessage()));
        }
        try {
            if (!policies.reload()) {
                brokerAudit.event(AuditEvent.of("policy.reload").decision("allow").policy(policies.current().version())
                        .reason("unchanged"));
            }
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
            policyRefused(e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        LOG.info("reloaded the TLS material, the policy ({}){}", policies.current().version(),
                config.auth().jwt() == null ? "" : " and the JWT keys");
    }

    /**
     * Picks up a key file that gained a KEK ('broker keys rotate kek'): the store wraps new data
     * keys with the new current KEK at once, and a background task rewraps the existing ones,
     * one queue at a time while traffic continues. Each step is audited. Keys from an
     * environment variable cannot change while the broker runs.
     */
    private void reloadKeyring() {
        if (config.keys().fromEnvironment()) {
            return;
        }
        Keyring fresh = KeyringFile.load(config.keys().kekFile());
        Keyring old = keyring;
        if (fresh.ids().equals(old.ids()) && fresh.current().id().equals(old.current().id())) {
            return;
        }
        store.updateKeyring(fresh);
        keyring = fresh;
        LOG.info("key-encryption key '{}' is current (was '{}'); rewrapping data keys in the background",
                fresh.current().id(), old.current().id());
        brokerAudit.event(AuditEvent.of("key.kek.rotate").decision("allow").resource(fresh.current().id())
                .detail("previous", old.current().id()));
        rewrapper.execute(() -> {
            try {
                int moved = store.rewrapDataKeys((done, all) -> {
                    LOG.info("rewrapping data keys under '{}': {} of {} queues done", fresh.current().id(), done, all);
                    brokerAudit.event(AuditEvent.of("key.kek.rewrap").resource(fresh.current().id())
                            .detail("queuesDone", done).detail("queues", all));
                });
                brokerAudit.event(AuditEvent.of("key.kek.rewrapped").resource(fresh.current().id())
                        .detail("dataKeys", moved).detail("stillInUse", String.join(",", store.kekIdsInUse())));
            } catch (RuntimeException e) {
                LOG.error("rewrapping data keys under '{}' failed; the old KEKs stay in use: {}", fresh.current().id(),
                        e.getMessage());
                brokerAudit.event(AuditEvent.of("key.kek.rewrapped").decision("deny").resource(fresh.current().id())
                        .reason("failed: " + e.getMessage()));
            }
        });
    }

    /**
     * The configuration file the broker was started from; {@link #reload()} re-reads it. Without
     * one (the embedded defaults) there is nothing to re-read.
     */
    public void configFile(Path file) {
        this.configFile = file;
    }

    /**
     * Re-reads the configuration file, validates all of it, and applies what can change while
     * running ({@code alerts.*}, {@code audit.allowAggregation}); settings that need a restart are
     * named in the log and the audit log and keep their running values.
     *
     * @throws IllegalStateException listing every problem of an invalid file; nothing changes then
     */
    private void reloadConfig() {
        Path file = configFile;
        if (file == null) {
            return;
        }
        BrokerConfig fresh;
        try {
            fresh = ConfigLoader.load(file);
        } catch (ConfigException e) {
            LOG.warn("the configuration {} was refused; nothing was reloaded: {}", file, e.getMessage());
            brokerAudit.event(AuditEvent.of("config.reload").decision("deny").resource(file.toString())
                    .reason("refused, nothing was reloaded: " + e.getMessage()));
            throw new IllegalStateException(e.getMessage(), e);
        }
        BrokerConfig old = config;
        List<String> applied = new ArrayList<>();
        if (!fresh.alerts().equals(old.alerts())) {
            anomalies.configure(fresh.alerts());
            applied.add("alerts");
        }
        if (!fresh.audit().allowAggregation().equals(old.audit().allowAggregation())) {
            access.allowAggregation(fresh.audit().allowAggregation());
            applied.add("audit.allowAggregation");
        }
        List<String> restart = ConfigChanges.needingRestart(old, fresh);
        BrokerConfig.Audit a = old.audit();
        config = old.withAlerts(fresh.alerts()).withAudit(new BrokerConfig.Audit(a.dir(), a.privateKey(), a.publicKey(),
                a.checkpointEntries(), a.checkpointInterval(), a.rotateBytes(), a.rotateAge(),
                fresh.audit().allowAggregation()));
        if (!restart.isEmpty()) {
            LOG.warn("configuration {}: {} changed but take(s) effect only after a restart; running with the old values",
                    file, String.join(", ", restart));
        }
        if (!applied.isEmpty() || !restart.isEmpty()) {
            LOG.info("configuration {} reloaded: applied {}", file, applied.isEmpty() ? "nothing" : applied);
        }
        brokerAudit.event(AuditEvent.of("config.reload").decision("allow").resource(file.toString())
                .detail("applied", String.join(",", applied))
                .detail("pendingRestart", restart.isEmpty() ? null : String.join(",", restart)));
    }

    /** The policy in force; {@link #reload()} replaces it from its file. */
    public Policy policy() {
        return policies.current();
    }

    private void reloadPolicyIfChanged() {
        try {
            policies.reloadIfChanged();
        } catch (RuntimeException e) {
            policyRefused(e);
        }
    }

    private void policyRefused(RuntimeException e) {
        LOG.warn("the policy file {} was refused; the policy in force ({}) stays: {}",
                config.authorization().policyFile(), policies.current().version(), e.getMessage());
        brokerAudit.event(AuditEvent.of("policy.reload").decision("deny").policy(policies.current().version())
                .reason("refused, the policy in force stays: " + e.getMessage()));
    }

    /** A new policy is in force: cached decisions go, and consumers that lost their right are cancelled. */
    private void policyChanged(Policy policy) {
        LOG.info("policy {} is in force (from {})", policy.version(), config.authorization().policyFile());
        brokerAudit.event(AuditEvent.of("policy.reload").decision("allow").policy(policy.version()));
        rightsChanged();
    }

    private void rightsChanged() {
        access.invalidate();
        for (Channel ch : channels) {
            SessionHandler session = ch.pipeline().get(SessionHandler.class);
            if (session != null) {
                ch.eventLoop().execute(session::rightsChanged);
            }
        }
    }

    /** Picks up users file changes; connections of users that were removed or disabled are closed. */
    private void reloadUsers() {
        try {
            List<User> before = List.copyOf(users.all());
            if (!users.reloadIfChanged()) {
                return;
            }
            LOG.info("users file {} reloaded", users.file());
            brokerAudit.usersChanged(before, users.all());
            rightsChanged();
            for (Channel ch : channels) {
                SessionHandler session = ch.pipeline().get(SessionHandler.class);
                Identity identity = session == null ? null : session.identity();
                if (identity == null || !identity.user()) {
                    continue;
                }
                String principal = identity.principal();
                User u = users.find(principal).orElse(null);
                if (u == null || u.disabled()) {
                    LOG.info("closing the connection of '{}' from {}: the user was {}", principal, ch.remoteAddress(),
                            u == null ? "removed" : "disabled");
                    ch.writeAndFlush(new ErrorFrame(0, ErrorCode.AUTHENTICATION_FAILED.code(),
                            "the user's access was revoked")).addListener(f -> ch.close());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not reload the users file: {}", e.getMessage());
        }
    }

    /** Stops accepting, closes every connection, then stops the engine and closes the store cleanly. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("broker stopping");
        AdminServer a = admin;
        if (a != null) {
            a.close();
        }
        housekeeping.shutdownNow();
        rewrapper.shutdown();
        try {
            rewrapper.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        serverChannel.close().awaitUninterruptibly();
        channels.writeAndFlush(new ErrorFrame(0, ErrorCode.SHUTTING_DOWN.code(), "the broker is shutting down"));
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        RuntimeException failed = null;
        try {
            closeAll(null, engine, authenticator, store);
        } catch (RuntimeException e) {
            failed = e;
        }
        // last, whatever happened before: the final checkpoint seals the log of this run
        brokerAudit.event(AuditEvent.of("broker.stop").reason(failed == null ? null : "stopped with an error: "
                + failed.getMessage()));
        try {
            closeAll(failed, audit);
        } catch (RuntimeException e) {
            failed = e;
        }
        LOG.info("broker stopped");
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Closes each resource (nulls skipped) even if an earlier one fails. Failures are added to
     * {@code cause} when there is one, else the first is thrown with the others added to it.
     */
    private static void closeAll(Throwable cause, AutoCloseable... resources) {
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                if (cause != null) {
                    cause.addSuppressed(e);
                } else if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Writes what the store reports to the log. */
    private static final class StoreLog implements StoreListener {
        @Override
        public void onQuarantine(String log, Path segment, OffsetRange offsets, String reason) {
            LoggerFactory.getLogger(Store.class).error("queue '{}': offsets {} in {} are quarantined: {}", log, offsets,
                    segment.getFileName(), reason);
        }

        @Override
        public void onFailure(StoreException failure) {
            LoggerFactory.getLogger(Store.class).error("the store failed and refuses writes until restart: {}",
                    failure.getMessage());
        }
    }
}
