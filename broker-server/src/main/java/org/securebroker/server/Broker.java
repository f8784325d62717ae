package org.securebroker.server;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.securebroker.protocol.integrity.KeyPem;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.admin.AdminServer;
import org.securebroker.server.admin.AnomalyDetector;
import org.securebroker.server.admin.BrokerMetrics;
import org.securebroker.server.admin.MetricsGate;
import org.securebroker.server.admin.Readiness;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.AuthSecrets;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.server.auth.PasswordAuthenticator;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.integrity.IntegrityKeys;
import org.securebroker.server.integrity.ProducerKeys;
import org.securebroker.server.integrity.SigningKeyFiles;
import org.securebroker.server.limits.ConnectionSlots;
import org.securebroker.server.limits.Episodes;
import org.securebroker.server.limits.LimitEvents;
import org.securebroker.server.net.ClientListener;
import org.securebroker.server.net.Pipeline;
import org.securebroker.server.queue.EngineSettings;
import org.securebroker.server.integrity.MessageSigner;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.server.queue.UnavailableQueue;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.server.session.ConnectionListener;
import org.securebroker.server.session.SessionHandler;
import org.securebroker.server.session.SessionSettings;
import org.securebroker.server.limits.FatalErrors;
import org.securebroker.server.limits.MemoryBudget;
import org.securebroker.server.limits.PrincipalShares;
import org.securebroker.server.tls.TlsMaterial;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.RetentionPolicy;
import org.securebroker.store.Store;
import org.securebroker.store.StoreHealth;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.StoreListener;
import org.securebroker.store.crypto.Keyring;
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
    /** Refusals of one limit and subject this far apart are one episode: logged and audited once. */
    private static final Duration REFUSAL_EPISODE_QUIET = Duration.ofMinutes(1);

    private final LiveReload live;
    private final Store store;
    private final PasswordAuthenticator authenticator;
    private final QueueEngine engine;
    private final ClientListener listener;
    private final ScheduledExecutorService housekeeping;
    private final TlsMaterial tls;
    private final PolicyHolder policies;
    private final AuditLog audit;
    private final AccessControl access;
    private final BrokerAudit brokerAudit;
    private final BrokerMetrics metrics;
    private final Mechanisms mechanisms;
    private volatile AdminServer admin;
    private volatile boolean closed;

    private Broker(BrokerConfig config, BrokerContext context, Store store, UserStore users,
                   PasswordAuthenticator authenticator, Mechanisms mechanisms, QueueEngine engine, TlsMaterial tls,
                   PolicyHolder policies, AuditLog audit, AccessControl access, BrokerMetrics metrics, Keyring keyring,
                   IntegrityKeys integrity, LimitEvents limits, WatchedFiles watched) throws InterruptedException {
        this.metrics = metrics;
        this.mechanisms = mechanisms;
        this.policies = policies;
        this.audit = audit;
        this.access = access;
        this.brokerAudit = new BrokerAudit(access);
        engine.tamperObserver(brokerAudit::messageTampered);
        engine.subscriptions().events(brokerAudit::subscriptionEvent);
        this.tls = tls;
        this.store = store;
        this.authenticator = authenticator;
        this.engine = engine;
        BrokerConfig.Listener l = config.listener();
        BrokerConfig.Memory memory = Offline.memory(config);
        MemoryBudget inFlight = new MemoryBudget("in-flight", memory.inFlightBytes());
        // one principal's connections may hold a quarter of it, so that one principal withholding
        // frame bodies on many connections cannot stall the others (PrincipalShares)
        PrincipalShares inFlightShares =
                new PrincipalShares(PrincipalShares.shareOf(inFlight.limit(), l.maxFrameSize()));
        SessionSettings sessionSettings = new SessionSettings(SERVER_ID, l.handshakeTimeout(), l.authTimeout(),
                l.maxFrameSize(), l.maxInFlightPublishes(), l.maxInFlightPublishBytes(), l.deliveryBufferBytes(),
                l.consumerWindowBytes(), inFlight, inFlightShares,
                new MemoryBudget("delivery", memory.deliveryBytes()), context.clock());
        AnomalyDetector anomalies = new AnomalyDetector(config.alerts(), context.clock(), access::record);
        access.addObserver(anomalies::observe);
        access.addTrafficObserver(anomalies::traffic);
        ConnectionListener connections = ConnectionListener.both(brokerAudit,
                ConnectionListener.both(metrics, anomalies));
        Pipeline pipeline = new Pipeline(tls::context, l.handshakeTimeout().toMillis(),
                () -> new SessionHandler(sessionSettings, mechanisms, engine, connections, this::reload, access),
                connections);
        ConnectionSlots slots = new ConnectionSlots(l, () -> quotasInForce(config),
                new Episodes(context.clock(), REFUSAL_EPISODE_QUIET), limits);
        this.listener = ClientListener.bind(l.host(), l.port(), slots, access::auditWritable, pipeline);
        this.live = new LiveReload(config, keyring, tls, mechanisms, policies, store, users, access, anomalies,
                brokerAudit, listener.channels(), audit, integrity, engine, watched);
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "broker-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(live::reloadUsers, 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(live::reloadPolicyIfChanged, 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(live::reloadProducerKeysIfChanged, 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(live::reloadTlsIfChanged, 5, 5, TimeUnit.SECONDS);
    }

    /**
     * The quotas in force: as last reloaded, or {@code atStart} for a login that would complete
     * before the live settings exist (the listener is bound just before them).
     */
    private BrokerConfig.Quotas quotasInForce(BrokerConfig atStart) {
        LiveReload l = live;
        return (l == null ? atStart : l.config()).quotas();
    }

    /**
     * Starts a broker.
     *
     * @throws IllegalStateException with a message naming what is wrong (a missing file, a key
     *     file with loose permissions, a port in use, ...)
     */
    public static Broker start(BrokerConfig config) {
        return start(config, BrokerContext.system());
    }

    /**
     * Starts a broker that reads time, draws randomness and reaches the store's files through
     * {@code context} (tests drive the clock, or use a disk that fails on demand).
     */
    public static Broker start(BrokerConfig config, BrokerContext context) {
        // a thread killed by OutOfMemoryError would leave the broker half-working: it exits instead
        Thread.setDefaultUncaughtExceptionHandler(FatalErrors.uncaughtHandler());
        Clock clock = context.clock();
        BrokerMetrics metrics = new BrokerMetrics(clock);
        Keyring keyring = Offline.keyring(config, System.getenv());
        BrokerConfig.StoreSettings s = config.store();
        int maxBatchBytes = Offline.maxBatchBytes(config);
        RetentionPolicy retention = new RetentionPolicy(s.retentionMaxAge(), s.retentionMaxBytes());
        AuditPosition auditPosition = new AuditPosition();
        MessageSigner signer = messageSigner(config.integrity(), auditPosition, metrics);
        ProducerKeys producerKeys;
        try {
            producerKeys = ProducerKeys.load(config.integrity().producerKeys());
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        Store store = Store.open(Offline.storeConfig(config, context)
                .retention(retention)
                .listener(metrics.storeListener(new StoreLog()))
                .sealer(signer)
                .build(), keyring);
        UserStore users = null;
        PasswordAuthenticator authenticator = null;
        QueueEngine engine = null;
        AuditLog audit = null;
        String auditKeyId = null;
        try {
            users = UserStore.load(config.auth().usersFile());
            PolicyHolder policies = loadPolicy(config.authorization().policyFile(), clock);
            AccessControl access;
            if (config.authorization().disabledForBenchmarks()) {
                LOG.warn("authorization.disabledForBenchmarks is on: every authenticated client may do everything and "
                        + "NOTHING IS AUDITED. Only for measuring what authorization and auditing cost; never in use.");
                access = AccessControl.unenforcedForBenchmarks(policies, users, clock);
            } else {
                SigningKey auditKey = Preflight.auditKey(config.audit().privateKey());
                auditKeyId = auditKey.id();
                audit = Offline.openAudit(config.audit(), auditKey, context);
                auditPosition.of(audit);
                access = AccessControl.enforcing(policies, users, audit, config.audit().allowAggregation(), clock);
            }
            BrokerConfig.Auth a = config.auth();
            authenticator = new PasswordAuthenticator(users, Argon2id.of(a.passwordHashing()), a.scramIterations(),
                    a.scramEnabled(), a.hashThreads(),
                    a.hashQueue(), context.random());
            TlsMaterial tls = TlsMaterial.load(config.tls(), clock);
            byte[] maskKey = AuthSecrets.loadOrCreate(config.dataDir().resolve(BrokerConfig.Layout.AUTH_SECRET),
                    context.random());
            Mechanisms mechanisms = Mechanisms.standard(a, users, authenticator,
                    certificate -> tls.principalMapper().principal(certificate), maskKey, clock, context.random());
            BrokerConfig.Queues q = config.queues();
            engine = QueueEngine.start(store, config.queueCatalog(), new EngineSettings(q.ackTimeout(),
                    q.maxMessageBytes(), q.dedupWindow(), 10_000, Math.max(2, Runtime.getRuntime().availableProcessors()),
                    maxBatchBytes).withRecentMessagesBytes(Offline.memory(config).recentMessagesBytes()), clock, q.define(), q.autoCreate(), signer != null, context.files());
            if (q.autoCreate()) {
                LOG.warn("queues.autoCreate is on: any authenticated client can create queues by publishing or subscribing");
            }
            access.addObserver(metrics::observe);
            LimitEvents limits = new LimitReports(metrics, new BrokerAudit(access));
            engine.limits(config.quotas(), q.depth(), limits);
            engine.subscriptions().settings(q.subscriptionIdleExpiry(), q.replayRetention());
            QueueEngine started = engine;
            if (signer != null) {
                started.brokerKeys(KeyPem.readPublicKeys(config.integrity().publicKeys()));
            }
            IntegrityKeys integrity = new IntegrityKeys(config.integrity(), signer == null ? "" : signer.keyId(),
                    signer == null ? null : signer::use, started::brokerKeys, producerKeys, started::producerKeys);
            WatchedFiles watched = WatchedFiles.load(config.dataDir());
            WatchedFiles.AtStart changedWhileStopped = watched.checkAtStart(config.auth().usersFile(), users.digest(), users.all(),
                    config.integrity().producerKeys(), producerKeys, new BrokerAudit(access));
            Broker broker = new Broker(config, context, store, users, authenticator, mechanisms, engine, tls, policies,
                    audit, access, metrics, keyring, integrity, limits, watched);
            metrics.bind(() -> broker.listener.channels().size(), engine, store, auditPosition,
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
                    .detail("signingKey", signer == null ? null : signer.keyId())
                    .detail("tlsCertificate", BrokerAudit.certificate(tls.serverCertificate()))
                    .detail("usersDigest", changedWhileStopped.users().digest())
                    .detail("producerKeysDigest", changedWhileStopped.keys().digest()));
            auditChangesWhileStopped(changedWhileStopped);
            started.unavailableObserver(u -> broker.brokerAudit.event(AuditEvent.of("store.log_unavailable")
                    .resource(u.name())
                    .reason(u.problem())
                    .detail("defined", u.defined())));
            LOG.info("broker listening on tls://{}:{} (data in {}, policy {}){}", config.listener().host(), broker.port(),
                    config.dataDir(), policies.current().version(), started.unavailableQueues().isEmpty() ? ""
                            : "; " + started.unavailableQueues().size() + " queue(s) unavailable until repaired");
            return broker;
        } catch (IOException | RuntimeException | InterruptedException e) {
            closeAll(e, engine, authenticator, audit, store, metrics);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException(describe(e), e);
        }
    }

    /** The signer of stored messages, or null (loudly) when signing is off for a benchmark. */
    private static MessageSigner messageSigner(BrokerConfig.Integrity config, AuditPosition auditPosition,
                                               BrokerMetrics metrics) {
        if (config.disabledForBenchmarks()) {
            LOG.warn("integrity.disabledForBenchmarks is on: messages are stored and delivered UNSIGNED and receipts are "
                    + "empty; consumers that verify refuse them. Only for measuring what signing costs; never in use.");
            return null;
        }
        try {
            SigningKey key = SigningKeyFiles.loadPrivate(config.privateKey());
            SigningKeyFiles.loadPublic(config.publicKeys(), key);
            return new MessageSigner(key, auditPosition, metrics::signed);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Writes what changed while no broker ran and waits until it is on disk and the record of
     * watched files is saved, so that a started broker's record matches what its audit log says.
     * An entry that cannot be written leaves the old record for the next start; the broker starts
     * anyway (an audit log that cannot be written refuses connections by itself).
     */
    private static void auditChangesWhileStopped(WatchedFiles.AtStart found) {
        try {
            found.audit().join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            LOG.warn("the changes made to the users and producer-keys files while the broker was stopped could not be "
                    + "audited ({}); the next start lists them again", cause.getMessage());
        }
    }

    private static PolicyHolder loadPolicy(Path file, Clock clock) {
        return Preflight.policy(file, clock);
    }

    private static String describe(Exception e) {
        if (e instanceof java.net.BindException) {
            return "cannot listen: " + e.getMessage() + " (is another broker running on that port?)";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** The port the listener is bound to. */
    public int port() {
        return listener.port();
    }

    /** The client listener's connection slots (how many connections hold which). */
    public ConnectionSlots connectionSlots() {
        return listener.slots();
    }

    public BrokerConfig config() {
        return live.config();
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
        BrokerConfig.Admin a = config().admin();
        if (a.enabled()) {
            MetricsGate gate;
            if (a.metricsAuthentication() == BrokerConfig.MetricsAuthentication.NONE) {
                LOG.warn("admin.metricsAuthentication is none: anyone who reaches {}:{} can read /metrics (queue "
                        + "names, traffic, logins); keep the admin listener on loopback or behind a firewall", a.host(),
                        a.port());
                gate = MetricsGate.open();
            } else {
                gate = MetricsGate.authenticating(mechanisms, access);
            }
            admin = AdminServer.start(a.host(), a.port(), tls::context, this::readiness, metrics, gate);
        }
    }

    /**
     * Whether the broker can take traffic, for {@code /readyz}. Not ready while it stops, while the
     * client listener is not bound, while the store does not take writes (a full disk: ready again
     * by itself once space is freed; a failed store: after a restart) and while the audit log
     * cannot be written. Unavailable queues do not make it unready (every other queue works);
     * they are listed as notes.
     */
    public Readiness readiness() {
        List<String> problems = new ArrayList<>();
        if (closed) {
            problems.add("the broker is stopping");
        }
        if (!listener.isActive()) {
            problems.add("the client listener is not bound");
        }
        switch (store.health()) {
            case WRITABLE -> {
            }
            case DISK_FULL -> problems.add("the store's disk is full: writes are refused with STORE_FULL until space is "
                    + "freed, and the broker is ready again by itself then");
            case FAILED -> problems.add("the store refuses writes until the broker is restarted: "
                    + store.failure().map(Throwable::getMessage).orElse("it failed"));
            case CLOSED -> problems.add("the store is closed");
        }
        if (!access.auditWritable()) {
            problems.add("the audit log cannot be written");
        }
        List<String> notes = new ArrayList<>();
        for (UnavailableQueue u : engine.unavailableQueues()) {
            notes.add("queue '" + u.name() + "' is unavailable until an operator repairs it (see the server log, "
                    + "'broker check', docs/operations.md)");
        }
        return new Readiness(problems, notes);
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
        return config().dataDir();
    }

    /**
     * Reloads what can change while the broker runs: the configuration file's live settings, the
     * TLS material, the JWT keys, the key file and the policy ({@link LiveReload}).
     *
     * @throws IllegalStateException naming what could not be reloaded
     */
    public void reload() {
        live.reload();
    }

    /** The configuration file {@link #reload()} re-reads; none for the embedded defaults. */
    public void configFile(Path file) {
        live.configFile(file);
    }

    /** The policy in force; {@link #reload()} replaces it from its file. */
    public Policy policy() {
        return policies.current();
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
        try {
            housekeeping.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // changes of the last moments (a CLI command, a rehash at login) are audited by this run, not
        // found as changed while stopped at the next start
        live.reloadUsers();
        live.reloadProducerKeysIfChanged();
        live.close();
        listener.close();
        RuntimeException failed = null;
        try {
            closeAll(null, engine, authenticator, store, metrics);
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

    /**
     * The audit log's last sequence number, which every signed batch records: the signer is made
     * before the store opens and the audit log after it, so the log is attached once it is open
     * (0 until then, and without an audit log).
     */
    private static final class AuditPosition implements LongSupplier {
        private volatile AuditLog log;

        void of(AuditLog opened) {
            log = opened;
        }

        @Override
        public long getAsLong() {
            AuditLog l = log;
            return l == null ? 0 : l.lastSequence();
        }
    }

    /** Writes what the store reports to the log. */
    private static final class StoreLog implements StoreListener {
        /** The last health reported; the store calls back from its own threads, one change at a time. */
        private volatile StoreHealth last = StoreHealth.WRITABLE;

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

        /** Once per disk-full episode: WARN when it starts, INFO when writes succeed again. */
        @Override
        public void onHealth(StoreHealth health) {
            StoreHealth before = last;
            last = health;
            if (health == StoreHealth.DISK_FULL && before != StoreHealth.DISK_FULL) {
                LoggerFactory.getLogger(Store.class).warn("the disk holding the store is full: publishes and other "
                        + "writes are refused with STORE_FULL (retriable), nothing is stored meanwhile, and /readyz "
                        + "says not ready; free space (docs/operations.md, 'The disk is full') and the store takes "
                        + "writes again by itself");
            } else if (health == StoreHealth.WRITABLE && before == StoreHealth.DISK_FULL) {
                LoggerFactory.getLogger(Store.class).info("the store takes writes again: disk space was freed");
            }
        }
    }
}
