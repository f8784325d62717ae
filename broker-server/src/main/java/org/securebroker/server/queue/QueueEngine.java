package org.securebroker.server.queue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.PeerText;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.frame.QueueInfo;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.limits.Episodes;
import org.securebroker.server.limits.LimitEvents;
import org.securebroker.server.limits.PrincipalQuotas;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.Names;
import org.securebroker.server.request.RequestException;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.securebroker.protocol.integrity.SignedMessage;
import org.securebroker.server.integrity.ProducerKeys;
import org.securebroker.store.Store;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FileLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queues of the broker and every operation on them. Calls never block the caller (they
 * return futures or hand work to the queues' executors), so sessions call them from event loops.
 *
 * <p>Queues exist only when created (by an admin command or from configuration); publishing to or
 * subscribing on a missing queue is refused unless auto-creation was turned on explicitly.
 *
 * <p>A queue is a definition in the {@link QueueCatalog} plus a log in the store; which queues
 * exist, and in which order their files are written, is {@link QueueStructure}'s. A queue whose
 * log the store reports unavailable, or a log without a definition, is an
 * {@link UnavailableQueue}: every request on it but a deletion is refused with
 * {@code QUEUE_UNAVAILABLE}, while the other queues work as usual.
 *
 * <p>Limits ({@link #limits}): each principal's queues, durable subscriptions and consumers are
 * counted against its quotas, the queues and subscriptions by the owners the catalog records
 * (requests made without a principal, by the broker itself, count for nobody); its publishes
 * are paced to its publish rates; and each queue is held to its depth. Every refusal is
 * reported to the {@link LimitEvents} given.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class QueueEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QueueEngine.class);

    private final QueueStructure structure;
    private final EngineSettings settings;
    private final Clock clock;
    private final boolean autoCreate;
    private final boolean signing;
    private volatile ProducerKeys producerKeys = ProducerKeys.NONE;
    private volatile MessageVerifier storedMessages;
    private volatile TamperObserver tamperObserver = (queue, offset, reason) -> { };
    private final StoreRefusals refusals;
    private final ExecutorService workers;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService admin;
    private final Map<String, BrokerQueue> queues = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder deliveredBytes = new LongAdder();
    private final LongAdder redelivered = new LongAdder();
    /** Refusals of one limit and subject closer together than this are one episode (audited once). */
    private static final java.time.Duration EPISODE_QUIET = java.time.Duration.ofMinutes(1);
    private final PrincipalQuotas quotas;
    private volatile QueueDefinition.Depth defaultDepth = QueueDefinition.Depth.DEFAULT;
    /** The principal each attached consumer counts for; removed exactly once, when it is detached. */
    private final Map<Consumer, String> consumerPrincipals = new ConcurrentHashMap<>();
    /**
     * Per principal, the start of its last publish held back for its rate: a later publish waits
     * for it, so that pacing never reorders one connection's publishes.
     */
    private final Map<String, CompletableFuture<Void>> paced = new ConcurrentHashMap<>();
    /** Recent messages kept decoded, all queues together: {@code memory.recentMessagesSize}. */
    private final RecentMessages.Budget recentBudget;
    private final SubscriptionAdmin subscriptionAdmin;

    private QueueEngine(Store store, Path catalogFile, FileLayer files, EngineSettings settings, Clock clock,
                        boolean autoCreate, boolean signing) {
        this.recentBudget = new RecentMessages.Budget(settings.recentMessagesBytes());
        this.signing = signing;
        this.refusals = new StoreRefusals(store);
        this.structure = new QueueStructure(store, new QueueCatalog(catalogFile, files, store), refusals);
        this.settings = settings;
        this.clock = clock;
        this.autoCreate = autoCreate;
        this.workers = Executors.newFixedThreadPool(settings.workerThreads(), threads("queue-worker"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(threads("queue-timer"));
        this.admin = Executors.newSingleThreadExecutor(threads("queue-admin"));
        this.quotas = new PrincipalQuotas(clock, new Episodes(clock, EPISODE_QUIET), PrincipalQuotas.UNLIMITED);
        this.subscriptionAdmin = new SubscriptionAdmin(this, structure, quotas, clock, admin);
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Opens the engine over an open store: loads the queue catalog, reconciles it with the
     * store's logs, creates the configured queues that are missing and rebuilds de-duplication.
     */
    public static QueueEngine start(Store store, Path catalogFile, EngineSettings settings, Clock clock,
                                    List<QueueDefinition> configured, boolean autoCreate) throws IOException {
        return start(store, catalogFile, settings, clock, configured, autoCreate, false, DefaultFileLayer.INSTANCE);
    }

    /**
     * @param signing whether the store signs messages ({@link MessageSigner}): content digests
     *     are computed for it and receipts built from its seals
     * @param files the file layer the queue catalog is written through (the store's)
     * @throws QueueCatalog.CatalogException if the queue catalog cannot be trusted (changed, rolled
     *     back, missing over existing queues): the message names the file and the fix
     */
    public static QueueEngine start(Store store, Path catalogFile, EngineSettings settings, Clock clock,
                                    List<QueueDefinition> configured, boolean autoCreate, boolean signing,
                                    FileLayer files) throws IOException {
        QueueEngine engine = new QueueEngine(store, catalogFile, files, settings, clock, autoCreate, signing);
        try {
            engine.open(configured);
        } catch (IOException | RuntimeException e) {
            engine.close();
            throw e;
        }
        return engine;
    }

    private void open(List<QueueDefinition> configured) throws IOException {
        for (QueueStructure.Served served : structure.open(configured)) {
            BrokerQueue q = new BrokerQueue(this, served.definition(), served.log());
            q.restoreDeduplication();
            queues.put(served.definition().name(), q);
        }
        restoreOwners(configured);
        subscriptionAdmin.restoreActivity(queues.values());
        scheduler.scheduleWithFixedDelay(() -> admin.execute(structure::catchUp), 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> queues.values().forEach(q -> q.executor().execute(q::tick)), 1, 1,
                TimeUnit.SECONDS);
    }

    /**
     * At start: counts what the catalog says each principal created, after forgetting the owners
     * of subscriptions the store does not have (their creation never became durable). A queue of
     * the configuration counts for nobody, even if a principal once created it.
     */
    private void restoreOwners(List<QueueDefinition> configured) {
        java.util.Set<String> fromConfig = new java.util.HashSet<>();
        configured.forEach(d -> fromConfig.add(d.name()));
        for (Map.Entry<String, QueueCatalog.Owners> e : Map.copyOf(structure.allOwners()).entrySet()) {
            String name = e.getKey();
            if (!e.getValue().createdBy().isEmpty() && !fromConfig.contains(name)) {
                quotas.restoreQueue(e.getValue().createdBy());
            }
            BrokerQueue q = queues.get(name);
            if (q == null) {
                continue;
            }
            java.util.Set<String> existing = new java.util.HashSet<>();
            q.log().subscriptions().list().forEach(s -> existing.add(s.name()));
            Map<String, String> dropped = structure.retainSubscriptionOwners(name, existing);
            if (!dropped.isEmpty()) {
                LOG.info("queue '{}': the subscription(s) {} were never created; their owners are forgotten", name,
                        dropped.keySet());
            }
            e.getValue().subscriptions().forEach((subscription, owner) -> {
                if (existing.contains(subscription)) {
                    quotas.restoreSubscription(owner);
                }
            });
        }
    }

    /**
     * Sets the limits: the principals' quotas, the depth of queues without their own, and where
     * refusals are reported. Until called, quotas are unlimited and queues get
     * {@link QueueDefinition.Depth#DEFAULT}. May be called again (a reload): what principals hold
     * already is kept, and lowered limits refuse new requests only.
     */
    public void limits(BrokerConfig.Quotas principalQuotas, QueueDefinition.Depth depth, LimitEvents events) {
        quotas.quotas(principalQuotas);
        this.defaultDepth = java.util.Objects.requireNonNull(depth, "depth");
        quotas.events(events);
    }

    /** Uses these quotas from now on (live reload). */
    public void quotas(BrokerConfig.Quotas principalQuotas) {
        quotas.quotas(principalQuotas);
    }

    /** What {@code principal} holds now: queues it created, subscriptions it created, consumers attached. */
    public int[] held(String principal) {
        return quotas.held(principal);
    }

    /** The depth limits of a queue with this definition. */
    QueueDefinition.Depth depthOf(QueueDefinition definition) {
        return definition.depthOr(defaultDepth);
    }

    /** Reports a refusal of a queue's depth (or another limit enforced in the engine). */
    void limitReport(String limit, String subject, String principal, long value, String setting) {
        quotas.report(limit, subject, principal, value, setting);
    }

    /** Something to tell when a queue is found unavailable (the broker audits it). */
    @FunctionalInterface
    public interface UnavailableObserver {
        void unavailable(UnavailableQueue queue);
    }

    /**
     * Tells {@code observer} of every queue unavailable now (those found at start), then of each
     * one found later, each once.
     */
    public void unavailableObserver(UnavailableObserver observer) {
        structure.observer(observer);
    }

    /** The queues that refuse requests until an operator repairs them, by name. */
    public List<UnavailableQueue> unavailableQueues() {
        return structure.unavailableQueues();
    }

    /** Writes refused with {@code STORE_FULL} (the disk was full) since the engine started. */
    public long storeFullRefusals() {
        return refusals.storeFull();
    }

    /** The refusal a client gets for a failed write on {@code queue} (see {@link StoreRefusals}). */
    RequestException refusal(String queue, String doing, Throwable error) {
        return refusals.refusal(queue, doing, error);
    }

    EngineSettings settings() {
        return settings;
    }

    /** Whether stored messages are signed. */
    boolean signing() {
        return signing;
    }

    /** The broker's public keys (current and retired), to check stored messages before they are signed again. */
    public void brokerKeys(KeySet keys) {
        this.storedMessages = new MessageVerifier(keys);
    }

    /** Something to tell when a stored message fails its broker signature (the broker audits it). */
    @FunctionalInterface
    public interface TamperObserver {
        /**
         * @param queue  the queue the message is stored in
         * @param offset its offset there
         * @param reason why it does not verify
         */
        void tampered(String queue, long offset, String reason);
    }

    /** Tells {@code observer} of every stored message found without a valid broker signature. */
    public void tamperObserver(TamperObserver observer) {
        this.tamperObserver = java.util.Objects.requireNonNull(observer, "observer");
    }

    /**
     * Whether a stored message still carries a valid broker signature for its queue and offset.
     * A dead letter is signed anew in its dead-letter queue, so it must be checked first: else a
     * record changed at rest would come out of the dead-letter queue freshly signed. A message
     * that fails is logged and reported to the {@link TamperObserver}.
     */
    boolean intact(String queue, long offset, MessageEnvelope e) {
        MessageVerifier verifier = storedMessages;
        if (!signing) {
            return true;
        }
        String failure;
        if (verifier == null) {
            failure = "no broker public keys to check it with";
        } else if (e.brokerSeal().isEmpty()) {
            failure = "it has no broker signature: stored before signing, or its signature was removed";
        } else {
            try {
                verifier.verify(new SignedMessage(queue, offset, e.brokerTimestampMillis(), e.producerPrincipal(),
                        e.producerId(), e.sequence(), e.headers(), e.payload(), e.producerSignature(), e.brokerSeal()));
                return true;
            } catch (IntegrityException ex) {
                failure = ex.reason() + ": it was changed after it was stored";
            }
        }
        LOG.error("queue '{}': the message at offset {} fails its broker signature ({})", queue,
                Long.toUnsignedString(offset), failure);
        tamperObserver.tampered(queue, offset, failure);
        return false;
    }

    /** Uses these producer keys for the messages published from now on. */
    public void producerKeys(ProducerKeys keys) {
        this.producerKeys = java.util.Objects.requireNonNull(keys, "keys");
    }

    RecentMessages.Budget recentBudget() {
        return recentBudget;
    }

    Clock clock() {
        return clock;
    }

    ExecutorService workers() {
        return workers;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    BrokerQueue queueOrNull(String name) {
        return queues.get(name);
    }

    /**
     * The served queue of that name.
     *
     * @throws RequestException {@code QUEUE_NOT_FOUND}, or {@code QUEUE_UNAVAILABLE} for a queue
     *     that cannot be served
     */
    BrokerQueue require(String name) {
        BrokerQueue q = queues.get(name);
        if (q != null) {
            return q;
        }
        throw structure.isUnavailable(name) ? StoreRefusals.unavailable(name) : notFound(name);
    }

    /** Subscription administration: list, delete, purge, browse, seek, reject, idle expiry. */
    public SubscriptionAdmin subscriptions() {
        return subscriptionAdmin;
    }

    SubscriptionAdmin subscriptionAdmin() {
        return subscriptionAdmin;
    }

    private CompletableFuture<BrokerQueue> requireOrCreate(String name, String principal) {
        BrokerQueue q = queues.get(name);
        if (q != null) {
            return CompletableFuture.completedFuture(q);
        }
        if (structure.isUnavailable(name)) {
            return CompletableFuture.failedFuture(StoreRefusals.unavailable(name));
        }
        if (!autoCreate) {
            return CompletableFuture.failedFuture(notFound(name));
        }
        return createQueue(QueueDefinition.simple(name), principal).handle((v, e) -> {
            BrokerQueue created = queues.get(name);
            if (created != null) {
                return created;
            }
            // a concurrent creation is fine; any other failure (a full disk, a quota...) is what the client hears
            if (e != null && Futures.cause(e) instanceof RequestException r && r.code() != ErrorCode.QUEUE_EXISTS) {
                throw r;
            }
            throw structure.isUnavailable(name) ? StoreRefusals.unavailable(name) : notFound(name);
        });
    }

    private RequestException notFound(String name) {
        return new RequestException(ErrorCode.QUEUE_NOT_FOUND, "queue '" + name + "' does not exist"
                + (autoCreate ? "" : "; create it first ('broker queue create " + name + "')"));
    }

    /**
     * Whether the queue is served and has a subscription of this name. The name rule applies to
     * subscriptions being created; one created before the rule existed can still be attached to.
     */
    public boolean hasSubscription(String queue, String subscription) {
        BrokerQueue q = queues.get(queue);
        return q != null && !q.isDeleted() && q.log().subscriptions().get(subscription).isPresent();
    }

    /** Whether the queue exists: it is served, or it is known but unavailable. */
    public boolean exists(String name) {
        return queues.containsKey(name) || structure.isUnavailable(name);
    }

    /** A queue's definition, if the queue exists and has one. */
    public java.util.Optional<QueueDefinition> definition(String name) {
        BrokerQueue q = queues.get(name);
        if (q != null) {
            return Optional.of(q.definition());
        }
        return structure.unavailable(name).flatMap(UnavailableQueue::definition);
    }

    /** Whether publishing or subscribing to a missing queue creates it. */
    public boolean autoCreate() {
        return autoCreate;
    }

    /**
     * Creates a queue, and its dead-letter queue if that does not exist yet. A queue that is
     * unavailable because it has a log but no definition is defined by this, and its messages
     * are served; any other unavailable queue is refused with {@code QUEUE_UNAVAILABLE}.
     */
    public CompletableFuture<Void> createQueue(QueueDefinition definition) {
        return createQueue(definition, "");
    }

    /**
     * As {@link #createQueue(QueueDefinition)}, on behalf of {@code principal}: the queue (and a
     * dead-letter queue created with it) counts against its {@code queues} quota and is recorded
     * as created by it; past the quota the request is refused with {@code QUOTA_EXCEEDED} and
     * nothing is created. An empty principal counts for nobody.
     */
    public CompletableFuture<Void> createQueue(QueueDefinition definition, String principal) {
        String owner = principal == null ? "" : principal;
        return CompletableFuture.runAsync(() -> {
            String name = definition.name();
            if (queues.containsKey(name)) {
                throw new RequestException(ErrorCode.QUEUE_EXISTS, "queue '" + name + "' exists already");
            }
            structure.checkCreatable(name);
            if (definition.hasDeadLetterQueue() && !queues.containsKey(definition.deadLetterQueue())) {
                if (structure.isUnavailable(definition.deadLetterQueue())) {
                    throw QueueStructure.deadLetterQueueUnavailable(name, definition.deadLetterQueue());
                }
                if (!owner.isEmpty()) {
                    // both are counted before either is made, so neither is made past the quota
                    quotas.acquireQueue(owner);
                    try {
                        quotas.acquireQueue(owner);
                    } catch (RequestException e) {
                        quotas.releaseQueue(owner);
                        throw e;
                    }
                }
                try {
                    createCounted(QueueDefinition.simple(definition.deadLetterQueue()), owner);
                } catch (RuntimeException e) {
                    // createCounted gave the dead-letter queue's count back; the queue's is never used now
                    if (!owner.isEmpty()) {
                        quotas.releaseQueue(owner);
                    }
                    throw e;
                }
                createCounted(definition, owner);
                return;
            }
            if (!owner.isEmpty()) {
                quotas.acquireQueue(owner);
            }
            createCounted(definition, owner);
        }, admin);
    }

    /** Creates a queue whose count is taken already; gives the count back if it is not created. */
    private void createCounted(QueueDefinition definition, String owner) {
        try {
            createNow(definition, owner);
        } catch (RuntimeException e) {
            if (!owner.isEmpty()) {
                quotas.releaseQueue(owner);
            }
            throw e;
        }
    }

    /** On the admin thread: the files ({@link QueueStructure#create}), then the queue that serves them. */
    private void createNow(QueueDefinition definition, String owner) {
        QueueStructure.Created created = structure.create(definition, owner);
        BrokerQueue q = new BrokerQueue(this, definition, created.log());
        if (created.adopted()) {
            q.restoreDeduplication();
        }
        queues.put(definition.name(), q);
    }

    /**
     * Deletes a queue, available or not: its consumers stop receiving, its messages and data keys
     * are destroyed (in the order {@link QueueStructure#delete} keeps).
     */
    public CompletableFuture<Void> deleteQueue(String name) {
        return CompletableFuture.runAsync(() -> {
            if (!queues.containsKey(name) && !structure.isUnavailable(name)) {
                throw new RequestException(ErrorCode.QUEUE_NOT_FOUND, "queue '" + name + "' does not exist");
            }
            QueueCatalog.Owners owners = structure.owners(name);
            structure.delete(name, () -> {
                BrokerQueue q = queues.remove(name);
                if (q != null) {
                    q.markDeleted();
                }
            });
            // the queue is gone with its subscriptions and consumers: its owners get their counts back
            if (!owners.createdBy().isEmpty()) {
                quotas.releaseQueue(owners.createdBy());
            }
            owners.subscriptions().values().forEach(quotas::releaseSubscription);
            subscriptionAdmin.forgetQueue(name);
            for (Consumer c : List.copyOf(consumerPrincipals.keySet())) {
                if (c.queue().equals(name)) {
                    releaseConsumer(c);
                }
            }
            for (BrokerQueue other : queues.values()) {
                if (other.definition().deadLetterQueue().equals(name)) {
                    LOG.warn("queue '{}' was the dead-letter queue of '{}'; its dead letters are now dropped", name,
                            other.name());
                }
            }
            LOG.info("queue '{}' deleted", name);
        }, admin);
    }

    /**
     * Writes the queue catalog again under the current KEK, so that a retired KEK is no longer
     * needed for it (after a KEK rotation's rewrap).
     */
    public CompletableFuture<Void> resealCatalog() {
        return CompletableFuture.runAsync(structure::reseal, admin);
    }

    public List<QueueInfo> listQueues() {
        List<QueueInfo> out = new ArrayList<>();
        for (BrokerQueue q : queues.values()) {
            QueueDefinition d = q.definition();
            out.add(new QueueInfo(d.name(), q.depth(), q.subscriptionCount(), d.maxDeliveries(), d.deadLetterQueue(),
                    d.defaultTtl().toMillis()));
        }
        out.sort(Comparator.comparing(QueueInfo::name));
        return out;
    }

    /**
     * Stores messages; the future yields their offsets and receipts once durable. Producer
     * signatures are checked first (off the caller's thread, in publish order per queue) when
     * the queue requires them or a message carries one; a missing or bad one refuses the whole
     * publish with {@code SIGNATURE_REQUIRED} or {@code SIGNATURE_INVALID}.
     */
    public CompletableFuture<List<PublishResult>> publish(String queue, String principal, List<PublishMessage> messages) {
        long bytes = 0;
        for (int i = 0; i < messages.size(); i++) {
            bytes += messages.get(i).payload().length();
        }
        long delay = quotas.publishDelayNanos(principal, messages.size(), bytes);
        CompletableFuture<Void> start = pace(principal, delay);
        if (start == null) {
            return publishNow(queue, principal, messages);
        }
        return start.thenCompose(v -> publishNow(queue, principal, messages));
    }

    /**
     * When a publish held back {@code delayNanos} for its principal's rate may go on: null for
     * at once (no delay, and no earlier publish of the principal still held back), else a future
     * completed on a worker thread once the delay has passed and the principal's previous held
     * publish has started, so pacing keeps each connection's publishes in order. The session
     * need not pause reading itself: a held publish stays in flight, and the connection's
     * in-flight limit ({@code listener.maxInFlightPublishes}) stops reading it.
     */
    private CompletableFuture<Void> pace(String principal, long delayNanos) {
        CompletableFuture<Void> previous = paced.get(principal);
        if (delayNanos <= 0 && (previous == null || previous.isDone())) {
            return null;
        }
        CompletableFuture<Void> start = new CompletableFuture<>();
        // done once the publish started has been handed to its queue (start's dependents ran), not before
        CompletableFuture<Void> handedOver = new CompletableFuture<>();
        CompletableFuture<Void> before = paced.put(principal, handedOver);
        CompletableFuture<Void> timer = new CompletableFuture<>();
        if (delayNanos <= 0) {
            timer.complete(null);
        } else {
            // completed on a worker, not the timer thread: the publish it releases runs there, and the timer
            // thread also drives every queue's acknowledgement deadlines and redeliveries
            scheduler.schedule(() -> workers.execute(() -> timer.complete(null)), delayNanos, TimeUnit.NANOSECONDS);
        }
        CompletableFuture<Void> waitFor = before == null ? timer : CompletableFuture.allOf(timer, before);
        waitFor.whenComplete((v, e) -> {
            start.complete(null);
            handedOver.complete(null);
            paced.remove(principal, handedOver);
        });
        return start;
    }

    /**
     * The time {@code principal}'s publishes are held back now for its publish rates, in
     * nanoseconds (0 if none), without charging anything: a session may stop reading the
     * principal's connections this long instead of letting publishes queue up in flight.
     */
    public long publishBacklogNanos(String principal) {
        return quotas.publishDelayNanos(principal, 0, 0);
    }

    private CompletableFuture<List<PublishResult>> publishNow(String queue, String principal,
                                                              List<PublishMessage> messages) {
        BrokerQueue q = queues.get(queue);
        if (q != null) {
            return publish(q, principal, messages);
        }
        return requireOrCreate(queue, principal).thenCompose(created -> publish(created, principal, messages));
    }

    private CompletableFuture<List<PublishResult>> publish(BrokerQueue q, String principal,
                                                           List<PublishMessage> messages) {
        if (!q.definition().requireProducerSignatures() && !anySigned(messages) && !q.signatureChecks().busy()) {
            try {
                return q.publish(principal, messages);
            } catch (RequestException e) {
                // a held publish arrives here on the timer thread: the refusal goes to the future
                return CompletableFuture.failedFuture(e);
            }
        }
        ProducerKeys keys = producerKeys;
        return q.signatureChecks().submit(() -> {
            ProducerSignatureCheck.check(q.definition(), principal, messages, keys.keysOf(principal));
            return q.publish(principal, messages);
        });
    }

    private static boolean anySigned(List<PublishMessage> messages) {
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).producerSignature().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Attaches a consumer to a subscription (created on first use, starting at the oldest
     * message). {@code onAttached} runs on the queue's executor before the first delivery, so a
     * session can answer SUBSCRIBE ahead of any DELIVER.
     */
    public CompletableFuture<Consumer> subscribe(String queue, String subscription, long credit, int consumerId,
                                                 ConsumerSink sink, java.util.function.Consumer<Consumer> onAttached) {
        return subscribe(queue, subscription, credit, consumerId, sink, onAttached, "");
    }

    /**
     * As {@link #subscribe(String, String, long, int, ConsumerSink, java.util.function.Consumer)},
     * on behalf of {@code principal}: the consumer counts against its {@code consumers} quota
     * until {@link #detach} (or its queue's deletion), a subscription it creates against its
     * {@code subscriptions} quota (recorded in the catalog before the store creates it), and a
     * queue auto-created for it against its {@code queues} quota. Past a quota the future fails
     * with {@code QUOTA_EXCEEDED} and nothing is attached or created. An empty principal counts
     * for nobody.
     */
    public CompletableFuture<Consumer> subscribe(String queue, String subscription, long credit, int consumerId,
                                                 ConsumerSink sink, java.util.function.Consumer<Consumer> onAttached,
                                                 String principal) {
        boolean existed = hasSubscription(queue, subscription);
        AtomicBoolean owned = new AtomicBoolean();
        if (!existed) {
            try {
                Names.require(Names.Kind.SUBSCRIPTION, subscription);
            } catch (RequestException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        // active from now: an idle expiry must not take a subscription a consumer is being attached to
        subscriptionAdmin.active(queue, subscription, false);
        String owner = principal == null ? "" : principal;
        if (!owner.isEmpty()) {
            try {
                quotas.acquireConsumer(owner);
            } catch (RequestException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        CompletableFuture<Consumer> attached = requireOrCreate(queue, owner)
                .thenCompose(q -> ownSubscription(q, subscription, owner, owned))
                .thenCompose(q -> {
            CompletableFuture<Consumer> result = new CompletableFuture<>();
            // the dispatcher's future completes on the queue's executor: the consumer is attached there
            q.executor().execute(() -> {
                if (existed && !owned.get() && !owner.isEmpty()
                        && q.log().subscriptions().get(subscription).isEmpty()) {
                    // it existed when this subscribe began, and no owner was recorded, no quota taken and
                    // no name rule applied for it: a deletion came in between, and creating it now would
                    // count for nobody
                    result.completeExceptionally(new RequestException(ErrorCode.SUBSCRIPTION_NOT_FOUND,
                            "subscription " + PeerText.quote(subscription) + " of queue '" + queue + "' was deleted "
                            + "while the consumer attached; subscribe again to create it anew"));
                    return;
                }
                q.dispatcher(subscription).whenComplete((d, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error);
                        return;
                    }
                    Consumer c = new Consumer(consumerId, sink, d, credit);
                    if (!owner.isEmpty()) {
                        // before the session can see it, so that any detach finds it
                        consumerPrincipals.put(c, owner);
                    }
                    try {
                        onAttached.accept(c);
                        d.add(c);
                        subscriptionAdmin.active(queue, subscription, true);
                        result.complete(c);
                    } catch (RuntimeException e) {
                        consumerPrincipals.remove(c);
                        result.completeExceptionally(e);
                    }
                });
            });
            return result;
        });
        if (owner.isEmpty()) {
            return attached;
        }
        return attached.whenComplete((c, error) -> {
            if (error != null) {
                // never attached (or never seen by the session): its count goes back here, once
                quotas.releaseConsumer(owner);
            }
        });
    }

    /**
     * Before a subscription {@code q} does not have yet is created for {@code principal}: on the
     * admin thread, counts it against the principal's quota and records the principal as its
     * owner in the catalog. A subscription that exists, or whose owner is recorded already (a
     * creation under way), is left as it is.
     */
    private CompletableFuture<BrokerQueue> ownSubscription(BrokerQueue q, String subscription, String principal,
                                                           AtomicBoolean owned) {
        if (principal.isEmpty() || q.log().subscriptions().get(subscription).isPresent()) {
            return CompletableFuture.completedFuture(q);
        }
        return CompletableFuture.supplyAsync(() -> {
            if (q.isDeleted()) {
                throw new RequestException(ErrorCode.QUEUE_NOT_FOUND, "queue '" + q.name() + "' was deleted");
            }
            if (q.log().subscriptions().get(subscription).isPresent()) {
                return CompletableFuture.completedFuture(q);
            }
            // gone from the store with its owner still recorded: a deletion, not a creation, is under way;
            // the owner's slot is given back when it is done, and only then may this one take one
            CompletableFuture<Void> deletion = subscriptionAdmin.deletion(q.name(), subscription);
            if (deletion != null) {
                return deletion.handle((v, e) -> null)
                        .thenCompose(v -> ownSubscription(q, subscription, principal, owned));
            }
            if (structure.owners(q.name()).subscriptions().containsKey(subscription)) {
                return CompletableFuture.completedFuture(q);
            }
            // a creation: the name rule binds it (a subscribe that began on an existing subscription with
            // an older name, deleted meanwhile, would create it anew)
            Names.require(Names.Kind.SUBSCRIPTION, subscription);
            quotas.acquireSubscription(principal);
            try {
                structure.recordSubscriptionOwner(q.name(), subscription, principal);
            } catch (RuntimeException e) {
                quotas.releaseSubscription(principal);
                throw e;
            }
            owned.set(true);
            return CompletableFuture.completedFuture(q);
        }, admin).thenCompose(f -> f);
    }

    public void credit(Consumer consumer, long credit) {
        BrokerQueue q = consumer.dispatcher.queue();
        q.executor().execute(() -> consumer.dispatcher.credit(consumer, credit));
    }

    /** Settles deliveries; the future yields the offsets refused because they were never delivered. */
    public CompletableFuture<long[]> ack(Consumer consumer, long[] offsets) {
        CompletableFuture<long[]> result = new CompletableFuture<>();
        consumer.dispatcher.queue().executor().execute(() -> result.complete(consumer.dispatcher.ack(offsets)));
        subscriptionAdmin.active(consumer.dispatcher.queue().name(), consumer.dispatcher.name(), false);
        return result;
    }

    /** Returns a delivery for redelivery; the future yields false if it was not in flight. */
    public CompletableFuture<Boolean> nack(Consumer consumer, long offset, long delayMillis) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        consumer.dispatcher.queue().executor().execute(() -> result.complete(consumer.dispatcher.nack(offset, delayMillis)));
        return result;
    }

    /** Detaches a consumer (unsubscribe or disconnect); its unsettled messages are redelivered. */
    public void detach(Consumer consumer) {
        releaseConsumer(consumer);
        consumer.closed = true;
        consumer.dispatcher.queue().executor().execute(() -> {
            consumer.dispatcher.remove(consumer);
            if (consumer.dispatcher.consumerCount() == 0) {
                subscriptionAdmin.idle(consumer.dispatcher.queue().name(), consumer.dispatcher.name());
            } else {
                subscriptionAdmin.active(consumer.dispatcher.queue().name(), consumer.dispatcher.name(), false);
            }
        });
    }

    /** Gives a consumer's count back to its principal, once however often it is called. */
    void releaseConsumer(Consumer consumer) {
        String principal = consumerPrincipals.remove(consumer);
        if (principal != null) {
            quotas.releaseConsumer(principal);
        }
    }

    /** Resumes deliveries to a consumer whose connection can take more. */
    public void writable(Consumer consumer) {
        consumer.dispatcher.queue().executor().execute(consumer.dispatcher::dispatch);
    }

    void published(int count, long payloadBytes) {
        refusals.stored();
        counter("published").add(count);
        counter("published-bytes").add(payloadBytes);
    }

    /** Per message on the delivery path: plain adders, no map lookup. */
    void delivered(int payloadBytes, boolean redelivery) {
        delivered.increment();
        deliveredBytes.add(payloadBytes);
        if (redelivery) {
            redelivered.increment();
        }
    }

    /**
     * Deliveries not yet settled, all queues together: each queue's count as of the last time its
     * thread ran out of work. Never waits, so an admin event loop may call it on every scrape.
     */
    public long unacknowledged() {
        long total = 0;
        for (BrokerQueue q : queues.values()) {
            total += q.unacknowledged();
        }
        return total;
    }

    void counted(String kind, String reason) {
        counter(kind + ":" + reason).increment();
    }

    private LongAdder counter(String name) {
        return counters.computeIfAbsent(name, k -> new LongAdder());
    }

    /**
     * Counters by name: published, published-bytes, delivered, delivered-bytes, redelivered,
     * dead-lettered:REASON, dropped:REASON, ...
     */
    public Map<String, Long> counters() {
        Map<String, Long> out = new java.util.TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.sum()));
        out.put("delivered", delivered.sum());
        out.put("delivered-bytes", deliveredBytes.sum());
        out.put("redelivered", redelivered.sum());
        return out;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            // the activity not yet written: the last task the admin thread runs
            admin.execute(subscriptionAdmin::flush);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("the admin thread had stopped already; unwritten subscription activity is dropped");
        }
        admin.shutdown();
        workers.shutdown();
        try {
            admin.awaitTermination(10, TimeUnit.SECONDS);
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the admin thread has stopped: this thread is the only one changing the structure now
        structure.catchUp();
    }
}
