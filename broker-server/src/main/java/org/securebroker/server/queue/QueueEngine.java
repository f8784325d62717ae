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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.frame.QueueInfo;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.request.Futures;
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
    /** Recent messages kept decoded, all queues together: {@code memory.recentMessagesSize}. */
    private final RecentMessages.Budget recentBudget;

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
        scheduler.scheduleWithFixedDelay(() -> admin.execute(structure::catchUp), 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> queues.values().forEach(q -> q.executor().execute(q::tick)), 1, 1,
                TimeUnit.SECONDS);
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

    private CompletableFuture<BrokerQueue> requireOrCreate(String name) {
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
        return createQueue(QueueDefinition.simple(name)).handle((v, e) -> {
            BrokerQueue created = queues.get(name);
            if (created != null) {
                return created;
            }
            // a concurrent creation is fine; any other failure (a full disk...) is what the client hears
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
                createNow(QueueDefinition.simple(definition.deadLetterQueue()));
            }
            createNow(definition);
        }, admin);
    }

    /** On the admin thread: the files ({@link QueueStructure#create}), then the queue that serves them. */
    private void createNow(QueueDefinition definition) {
        QueueStructure.Created created = structure.create(definition);
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
            structure.delete(name, () -> {
                BrokerQueue q = queues.remove(name);
                if (q != null) {
                    q.markDeleted();
                }
            });
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
        BrokerQueue q = queues.get(queue);
        if (q != null) {
            return publish(q, principal, messages);
        }
        return requireOrCreate(queue).thenCompose(created -> publish(created, principal, messages));
    }

    private CompletableFuture<List<PublishResult>> publish(BrokerQueue q, String principal,
                                                           List<PublishMessage> messages) {
        if (!q.definition().requireProducerSignatures() && !anySigned(messages) && !q.signatureChecks().busy()) {
            return q.publish(principal, messages);
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
        if (subscription.isEmpty() || subscription.length() > 200) {
            return CompletableFuture.failedFuture(new RequestException(ErrorCode.INVALID_REQUEST,
                    "a subscription name has 1 to 200 characters"));
        }
        return requireOrCreate(queue).thenCompose(q -> {
            CompletableFuture<Consumer> result = new CompletableFuture<>();
            // the dispatcher's future completes on the queue's executor: the consumer is attached there
            q.executor().execute(() -> q.dispatcher(subscription).whenComplete((d, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                    return;
                }
                try {
                    Consumer c = new Consumer(consumerId, sink, d, credit);
                    onAttached.accept(c);
                    d.add(c);
                    result.complete(c);
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }));
            return result;
        });
    }

    public void credit(Consumer consumer, long credit) {
        BrokerQueue q = consumer.dispatcher.queue();
        q.executor().execute(() -> consumer.dispatcher.credit(consumer, credit));
    }

    /** Settles deliveries; the future yields the offsets refused because they were never delivered. */
    public CompletableFuture<long[]> ack(Consumer consumer, long[] offsets) {
        CompletableFuture<long[]> result = new CompletableFuture<>();
        consumer.dispatcher.queue().executor().execute(() -> result.complete(consumer.dispatcher.ack(offsets)));
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
        consumer.closed = true;
        consumer.dispatcher.queue().executor().execute(() -> consumer.dispatcher.remove(consumer));
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
