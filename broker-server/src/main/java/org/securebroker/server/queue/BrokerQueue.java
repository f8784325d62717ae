package org.securebroker.server.queue;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.integrity.Receipt;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.AppendResult;
import org.securebroker.store.Log;
import org.securebroker.store.failure.RecordCorruptedException;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.subscription.SubscriptionSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue: its log in the store, its definition, producer de-duplication and one dispatcher
 * per subscription. Publishing may be called from any thread; everything about delivery runs on
 * the queue's serial executor.
 *
 * <p>Thread-safety: thread-safe as described.
 */
final class BrokerQueue {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerQueue.class);
    /** At most this much of one queue's recent messages is kept decoded in memory (and no more than the budget of all). */
    private static final long RECENT_PER_QUEUE_BYTES = 128L << 20;
    private static final int RECENT_PER_QUEUE_MESSAGES = 1 << 20;
    /** Records read at a time when overflow moves messages out. */
    private static final int EVICT_BATCH = 256;
    /** Bytes read at a time when overflow moves messages out. */
    private static final long EVICT_BYTES = 16L << 20;

    private final QueueEngine engine;
    private final Log log;
    private final SerialExecutor executor;
    private final Deduplicator dedup;
    private final Map<String, SubscriptionDispatcher> dispatchers = new HashMap<>();
    /** Subscriptions whose durable state is being created, and the consumers' wait for it; on the executor. */
    private final Map<String, CompletableFuture<SubscriptionDispatcher>> opening = new HashMap<>();
    /** Subscriptions whose seek or deletion is being made durable; on the executor. */
    private final Map<String, Change> changing = new HashMap<>();
    /** Deliveries in flight, counted whenever the executor runs out of work: readable without waiting. */
    private volatile int unacknowledged;
    private final AtomicBoolean releaseScheduled = new AtomicBoolean();
    /** Whether a failure to make acknowledgements durable was logged and no write succeeded since. */
    private final AtomicBoolean ackFailing = new AtomicBoolean();
    /** Whether the unavailability of the dead-letter queue was logged. */
    private final AtomicBoolean deadLetterQueueUnavailableLogged = new AtomicBoolean();
    private final RecentMessages recent;
    private final SignatureChecks signatureChecks;
    private volatile QueueDefinition definition;
    private volatile boolean deleted;
    private final QueueDepth depth;
    /** Whether an overflow eviction is under way; on the executor. */
    private boolean evicting;

    BrokerQueue(QueueEngine engine, QueueDefinition definition, Log log) {
        this.engine = engine;
        this.definition = definition;
        this.log = log;
        this.executor = new SerialExecutor(engine.workers(), this::countUnacknowledged);
        this.dedup = new Deduplicator(engine.settings().dedupWindow(), engine.settings().dedupMaxProducers());
        this.recent = new RecentMessages(engine.recentBudget(),
                Math.min(RECENT_PER_QUEUE_BYTES, engine.recentBudget().limit()), RECENT_PER_QUEUE_MESSAGES);
        this.signatureChecks = new SignatureChecks(engine.workers());
        this.depth = new QueueDepth(log, engine.clock());
    }

    /** Producer-signature checks, one at a time and in publish order. */
    SignatureChecks signatureChecks() {
        return signatureChecks;
    }

    String name() {
        return definition.name();
    }

    QueueDefinition definition() {
        return definition;
    }

    Log log() {
        return log;
    }

    SerialExecutor executor() {
        return executor;
    }

    Clock clock() {
        return engine.clock();
    }

    /** Recently stored messages kept decoded; used on the executor only. */
    RecentMessages recent() {
        return recent;
    }

    long ackTimeoutMillis() {
        return engine.settings().ackTimeout().toMillis();
    }

    boolean isDeleted() {
        return deleted;
    }

    /**
     * Rebuilds de-duplication from the tail of the log: at least the last {@code dedupWindow}
     * records, and further back until at least {@code dedupRestoreBytes} of records are read (or
     * the log's start). The byte bound covers the whole last group commit before a failed fsync
     * or a crash: its records may be stored although their producers were told nothing (or
     * {@code STORE_UNAVAILABLE}), and a producer's retry of one of them must be recognized even
     * when many other producers' records follow it.
     */
    void restoreDeduplication() {
        long end = log.endOffset();
        long start = log.startOffset();
        long to = end;
        long from = Math.max(start, end - engine.settings().dedupWindow());
        long bytes = 0;
        long step = Math.max(1, end - from);
        while (from < to) {
            bytes += restoreRange(from, to);
            if (bytes >= engine.settings().dedupRestoreBytes() || from == start) {
                break;
            }
            to = from;
            step = Math.min(step * 2, 1L << 20);
            from = Math.max(start, from - step);
        }
    }

    /** Feeds the records of [from, to) to de-duplication; returns their payload bytes. */
    private long restoreRange(long from, long to) {
        long bytes = 0;
        long at = from;
        while (at < to) {
            List<StoredRecord> records;
            try {
                records = log.read(at, (int) Math.min(1024, to - at), 4L << 20);
            } catch (RecordCorruptedException e) {
                LOG.warn("queue '{}': offsets {} cannot be read to rebuild de-duplication: {}", name(), e.range(),
                        e.getMessage());
                at = Math.max(at + 1, e.range().to());
                continue;
            } catch (StoreException e) {
                LOG.warn("queue '{}': could not read offset {} to rebuild de-duplication: {}", name(), at, e.getMessage());
                at++;
                continue;
            }
            if (records.isEmpty()) {
                break;
            }
            for (StoredRecord r : records) {
                if (r.offset() >= to) {
                    return bytes;
                }
                bytes += r.payload().length;
                try {
                    MessageEnvelope m = MessageEnvelope.decode(r.payload());
                    if (!m.producerId().isEmpty()) {
                        dedup.restore(m.producerId(), m.sequence(), r.offset());
                    }
                } catch (IllegalArgumentException e) {
                    LOG.warn("queue '{}': offset {} holds no readable message: {}", name(), r.offset(), e.getMessage());
                }
            }
            at = records.get(records.size() - 1).offset() + 1;
        }
        return bytes;
    }

    /**
     * Stores messages and answers with their offsets once they are durable. A retry of a message
     * already stored (same producer id and sequence) gets the original offset, flagged duplicate.
     *
     * @throws RequestException for invalid messages (nothing is stored then)
     */
    CompletableFuture<List<PublishResult>> publish(String principal, List<PublishMessage> messages) {
        if (deleted) {
            throw new RequestException(ErrorCode.QUEUE_NOT_FOUND, "queue '" + name() + "' was deleted");
        }
        long now = engine.clock().millis();
        long defaultTtl = definition.defaultTtl().toMillis();
        MessageEnvelope[] envelopes = new MessageEnvelope[messages.size()];
        for (int i = 0; i < envelopes.length; i++) {
            PublishMessage m = messages.get(i);
            long ttl = m.ttlMillis() > 0 ? m.ttlMillis() : defaultTtl;
            MessageEnvelope e = MessageEnvelope.of(now, ttl > 0 ? now + ttl : 0, principal, m.producerId(),
                    m.sequence(), m.headers(), m.payload(), m.producerSignature(), engine.signing());
            int payload = m.payload().length();
            if (payload > engine.settings().maxMessageBytes()) {
                throw new RequestException(ErrorCode.MESSAGE_TOO_LARGE, "message " + (i + 1) + " has a payload of "
                        + payload + " bytes; the limit is " + engine.settings().maxMessageBytes()
                        + " (queues.maxMessageSize)");
            }
            int metadata = e.encodedSize() - payload;
            if (metadata > EngineSettings.MAX_METADATA_BYTES) {
                throw new RequestException(ErrorCode.MESSAGE_TOO_LARGE, "message " + (i + 1) + " has " + metadata
                        + " bytes of headers and metadata; the limit is " + EngineSettings.MAX_METADATA_BYTES);
            }
            envelopes[i] = e;
        }
        return store(envelopes, principal);
    }

    /**
     * Stores a message the broker itself produced (a dead letter). It is never refused for the
     * queue's depth: refusing would leave the message where it is, which is what overflow and
     * dead-lettering move it out of; a dead-letter queue with {@code DEAD_LETTER_OLDEST} still
     * sheds its oldest.
     */
    CompletableFuture<Long> appendInternal(MessageEnvelope envelope) {
        return store(new MessageEnvelope[] {envelope}, null).thenApply(results -> results.get(0).offset());
    }

    /** @param principal who publishes; null for the broker's own messages (not held to the depth limit) */
    private CompletableFuture<List<PublishResult>> store(MessageEnvelope[] envelopes, String principal) {
        PublishResult[] results = new PublishResult[envelopes.length];
        List<CompletableFuture<?>> waits = new ArrayList<>();
        List<ByteBuffer> records = new ArrayList<>(envelopes.length);
        int[] index = new int[envelopes.length];
        for (int i = 0; i < envelopes.length; i++) {
            MessageEnvelope e = envelopes[i];
            if (!e.producerId().isEmpty()) {
                Deduplicator.Verdict verdict = dedup.check(e.producerId(), e.sequence());
                int at = i;
                if (verdict instanceof Deduplicator.Stored s) {
                    waits.add(receiptOf(s.offset()).thenAccept(r -> results[at] = new PublishResult(s.offset(), true, r)));
                    continue;
                }
                if (verdict instanceof Deduplicator.Pending p) {
                    // the first copy's failure (already a refusal) is this copy's too
                    waits.add(p.offset().thenCompose(offset -> receiptOf(offset)
                            .thenAccept(r -> results[at] = new PublishResult(offset, true, r))));
                    continue;
                }
                if (verdict instanceof Deduplicator.TooOld old) {
                    for (int j = 0; j < records.size(); j++) {
                        MessageEnvelope pending = envelopes[index[j]];
                        dedup.failed(pending.producerId(), pending.sequence(), new IllegalStateException("refused"));
                    }
                    throw new RequestException(ErrorCode.INVALID_REQUEST, "sequence " + e.sequence() + " of producer '"
                            + e.producerId() + "' is older than the de-duplication window (it starts at "
                            + old.lowestRemembered() + "); a restarted producer must use a new producer id");
                }
            }
            index[records.size()] = i;
            records.add(e.encode());
        }
        if (!records.isEmpty()) {
            int count = records.size();
            long recordBytes = 0;
            for (ByteBuffer r : records) {
                recordBytes += r.remaining();
            }
            if (principal != null) {
                RequestException full = checkDepth(principal, count, recordBytes);
                if (full != null) {
                    // nothing of this publish is stored: its new sequences must stay free for the retry
                    for (int j = 0; j < count; j++) {
                        MessageEnvelope pending = envelopes[index[j]];
                        if (!pending.producerId().isEmpty()) {
                            dedup.failed(pending.producerId(), pending.sequence(), full);
                        }
                    }
                    throw full;
                }
            }
            long appendedBytes = recordBytes;
            depth.appending(count, appendedBytes);
            CompletableFuture<AppendResult> append;
            try {
                append = log.append(records);
            } catch (RuntimeException e) {
                depth.appended(count, appendedBytes);
                throw e;
            }
            waits.add(append.handle((result, error) -> {
                depth.appended(count, appendedBytes);
                if (error != null) {
                    RequestException refused = engine.refusal(name(), "storing " + count + " message(s)", error);
                    for (int j = 0; j < count; j++) {
                        MessageEnvelope e = envelopes[index[j]];
                        if (!e.producerId().isEmpty()) {
                            dedup.failed(e.producerId(), e.sequence(), refused);
                        }
                    }
                    throw refused;
                }
                List<ByteBuffer> seals = result.seals();
                for (int j = 0; j < count; j++) {
                    MessageEnvelope e = envelopes[index[j]];
                    long offset = result.firstOffset() + j;
                    Bytes receipt = seals.isEmpty() ? Bytes.EMPTY : receipt(offset, e, seals.get(j));
                    results[index[j]] = new PublishResult(offset, false, receipt);
                    if (!e.producerId().isEmpty()) {
                        dedup.stored(e.producerId(), e.sequence(), offset);
                    }
                }
                long payloadBytes = 0;
                for (int j = 0; j < count; j++) {
                    payloadBytes += envelopes[index[j]].payload().length();
                }
                engine.published(count, payloadBytes);
                long first = result.firstOffset();
                executor.execute(() -> {
                    for (int j = 0; j < count; j++) {
                        MessageEnvelope e = envelopes[index[j]];
                        if (!seals.isEmpty()) {
                            e = e.withSeal(Bytes.copyOf(seals.get(j)));
                        }
                        recent.add(first + j, e, records.get(j).limit());
                    }
                    dispatchAll();
                    evictOverflow();
                });
                return null;
            }));
        }
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).thenApply(v -> Arrays.asList(results));
    }

    private Bytes receipt(long offset, MessageEnvelope e, ByteBuffer seal) {
        return Bytes.copyOf(Receipt.encode(name(), offset, e.brokerTimestampMillis(), e.producerPrincipal(),
                e.producerId(), e.sequence(), e.contentDigest().asReadOnlyByteBuffer(), seal));
    }

    /**
     * The receipt of a message stored earlier (a de-duplicated resend gets the original's),
     * read back from the log off the caller's thread; empty if the message is unsigned or no
     * longer readable.
     */
    private CompletableFuture<Bytes> receiptOf(long offset) {
        if (!engine.signing()) {
            return CompletableFuture.completedFuture(Bytes.EMPTY);
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                List<StoredRecord> records = log.read(offset, 1, 1);
                if (records.isEmpty() || records.get(0).offset() != offset) {
                    return Bytes.EMPTY;
                }
                MessageEnvelope e = MessageEnvelope.decode(records.get(0).payload());
                if (e.brokerSeal().isEmpty()) {
                    return Bytes.EMPTY;
                }
                return receipt(offset, e, e.brokerSeal().asReadOnlyByteBuffer());
            } catch (StoreException | IllegalArgumentException ex) {
                LOG.debug("queue '{}': no receipt for the duplicate at offset {}: {}", name(), offset, ex.getMessage());
                return Bytes.EMPTY;
            }
        }, engine.workers());
    }

    // ---- delivery, on the executor ----

    /**
     * A seek or deletion of a subscription not yet durable. Until it is, the records from the
     * cursor it had stay (a failed write puts that state back), and consumers do not attach.
     *
     * @param heldFrom the subscription's cursor before the change
     * @param deletion a deletion, else a seek
     * @param done completes once the change is durable or was put back, on the executor
     */
    record Change(long heldFrom, boolean deletion, CompletableFuture<Void> done) {
    }

    /**
     * The subscription's dispatcher, created with the subscription (durably) on first use. The
     * future completes on the executor, once the subscription is durable; the executor goes on
     * with other work meanwhile. Consumers arriving for a subscription being created wait for the
     * same creation.
     */
    CompletableFuture<SubscriptionDispatcher> dispatcher(String subscription) {
        SubscriptionDispatcher d = dispatchers.get(subscription);
        if (d != null) {
            return CompletableFuture.completedFuture(d);
        }
        CompletableFuture<SubscriptionDispatcher> pending = opening.get(subscription);
        if (pending != null) {
            return pending;
        }
        Change change = changing.get(subscription);
        if (change != null && change.deletion()) {
            return CompletableFuture.failedFuture(new RequestException(ErrorCode.SUBSCRIPTION_NOT_FOUND, "subscription '"
                    + subscription + "' of queue '" + name() + "' is being deleted; subscribe again to create it anew"));
        }
        if (change != null) {
            // a seek: the next consumer starts where it moved the subscription (or where it stayed)
            CompletableFuture<SubscriptionDispatcher> later = new CompletableFuture<>();
            change.done().whenComplete((v, e) -> executor.execute(() -> {
                if (log.subscriptions().get(subscription).isEmpty()) {
                    // deleted right after the seek: a creation would count against nobody's quota
                    later.completeExceptionally(new RequestException(ErrorCode.SUBSCRIPTION_NOT_FOUND, "subscription '"
                            + subscription + "' of queue '" + name() + "' was deleted while the consumer attached; "
                            + "subscribe again to create it anew"));
                    return;
                }
                dispatcher(subscription).whenComplete((made, error) -> {
                    if (error != null) {
                        later.completeExceptionally(error);
                    } else {
                        later.complete(made);
                    }
                });
            }));
            return later;
        }
        CompletableFuture<SubscriptionSnapshot> created;
        try {
            created = log.subscriptions().create(subscription, log.startOffset());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(engine.refusal(name(), "creating subscription '" + subscription + "'",
                    e));
        }
        CompletableFuture<SubscriptionDispatcher> opened = new CompletableFuture<>();
        opening.put(subscription, opened);
        created.whenComplete((state, error) -> executor.execute(() -> {
            opening.remove(subscription);
            if (error != null) {
                opened.completeExceptionally(engine.refusal(name(), "creating subscription '" + subscription + "'",
                        error));
            } else if (deleted) {
                opened.completeExceptionally(new RequestException(ErrorCode.QUEUE_NOT_FOUND, "queue '" + name()
                        + "' was deleted"));
            } else if (log.subscriptions().get(subscription).isEmpty()) {
                opened.completeExceptionally(new RequestException(ErrorCode.SUBSCRIPTION_NOT_FOUND, "subscription '"
                        + subscription + "' of queue '" + name() + "' was deleted while the consumer attached; "
                        + "subscribe again to create it anew"));
            } else {
                SubscriptionDispatcher made = new SubscriptionDispatcher(this, subscription, state);
                dispatchers.put(subscription, made);
                opened.complete(made);
            }
        }));
        return opened;
    }

    void dispatchAll() {
        for (SubscriptionDispatcher d : dispatchers.values()) {
            d.dispatch();
        }
    }

    void tick() {
        for (SubscriptionDispatcher d : dispatchers.values()) {
            d.expireDeadlines();
        }
        engine.subscriptionAdmin().checkIdle(this);
        // without further acknowledgements nothing else would let go what replay retention kept
        if (engine.subscriptionAdmin().replayExpired(this)) {
            releaseNow();
        }
    }

    /** The dispatcher of a subscription, if one was made since the start; on the executor. */
    SubscriptionDispatcher dispatcherOrNull(String subscription) {
        return dispatchers.get(subscription);
    }

    /**
     * Forgets a subscription's dispatcher (it was deleted or moved): the next consumer gets a new
     * one, made from the subscription's durable state. On the executor.
     */
    SubscriptionDispatcher removeDispatcher(String subscription) {
        return dispatchers.remove(subscription);
    }

    /** Whether a consumer is being attached to the subscription (its creation or its dispatcher is under way). */
    boolean opening(String subscription) {
        return opening.containsKey(subscription);
    }

    /** The seek or deletion of the subscription being made durable, or null. On the executor. */
    Change changing(String subscription) {
        return changing.get(subscription);
    }

    /** A seek or deletion of the subscription was applied in memory and is being written. On the executor. */
    void changing(String subscription, Change change) {
        changing.put(subscription, change);
    }

    /** The change of the subscription is durable or was put back: what it held may go. On the executor. */
    void changed(String subscription) {
        changing.remove(subscription);
    }

    /**
     * The offset below which every record may be released: the store's low-water mark, held down
     * by the cursors of subscriptions whose seek or deletion is not durable yet. On the executor.
     */
    private long lowWaterMark() {
        long lwm = log.subscriptions().lowWaterMark(log.startOffset());
        for (Change c : changing.values()) {
            lwm = Math.min(lwm, Math.max(c.heldFrom(), log.startOffset()));
        }
        return lwm;
    }

    /** Whether consumers are attached to the subscription, or one is being attached. On the executor. */
    boolean attached(String subscription) {
        SubscriptionDispatcher d = dispatchers.get(subscription);
        return (d != null && d.consumerCount() > 0) || opening.containsKey(subscription);
    }

    void scheduleDispatch(SubscriptionDispatcher d, long delayMillis) {
        engine.scheduler().schedule(() -> executor.execute(d::timerFired), delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Releases, about a second later, the records every subscription has acknowledged. */
    void scheduleRelease() {
        if (releaseScheduled.compareAndSet(false, true)) {
            engine.scheduler().schedule(() -> executor.execute(() -> {
                releaseScheduled.set(false);
                releaseNow();
            }), 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Releases, now, the records every subscription has acknowledged, except those stored within
     * the replay retention ({@code queues.replayRetention}), which stay readable for SEEK back and
     * BROWSE. On the executor.
     */
    void releaseNow() {
        if (deleted) {
            return;
        }
        long lwm = lowWaterMark();
        long bound = Math.min(lwm, engine.subscriptionAdmin().replayBound(this));
        if (bound > log.startOffset()) {
            log.releaseBelow(bound);
        }
        depth.lowWaterMarkRead(lwm);
    }

    /** Releases every acknowledged record, those kept for replay included (the queue is at its depth). */
    private boolean releaseReplayRetained() {
        long lwm = lowWaterMark();
        if (lwm <= log.startOffset()) {
            return false;
        }
        log.releaseBelow(lwm);
        depth.lowWaterMarkRead(lwm);
        return true;
    }

    BrokerQueue deadLetterTarget() {
        QueueDefinition d = definition;
        return d.hasDeadLetterQueue() ? engine.queueOrNull(d.deadLetterQueue()) : null;
    }

    /**
     * An acknowledgement write of {@code subscription} completed ({@code error} null) or failed.
     * A failure is logged once until a write succeeds again, not once per acknowledgement: on a
     * full disk or a failed store every acknowledgement fails, and the store reports that itself.
     */
    void ackWritten(String subscription, long from, long to, Throwable error) {
        if (error == null) {
            if (ackFailing.get() && ackFailing.compareAndSet(true, false)) {
                LOG.info("queue '{}': acknowledgements are made durable again", name());
            }
        } else if (ackFailing.compareAndSet(false, true)) {
            LOG.warn("queue '{}': acknowledgements cannot be made durable ({}: offsets [{}, {}) of subscription '{}' "
                    + "first); unacknowledged-on-disk messages are delivered again after a restart",
                    name(), Futures.cause(error).getMessage(), from, to, subscription);
        } else {
            LOG.debug("queue '{}': acknowledgement of {} offsets [{}, {}) was not made durable either", name(),
                    subscription, from, to);
        }
    }

    /** Dead letters wait while the dead-letter queue is unavailable; said once per queue. */
    void deadLetterQueueUnavailable(String deadLetterQueue) {
        if (deadLetterQueueUnavailableLogged.compareAndSet(false, true)) {
            LOG.error("queue '{}': its dead-letter queue '{}' is unavailable; messages to dead-letter stay in '{}' and "
                    + "are retried every {} s until it is repaired or deleted", name(), deadLetterQueue, name(),
                    30);
        }
    }

    void deadLettered(String reason) {
        engine.counted("dead-lettered", reason);
    }

    void dropped(String reason) {
        engine.counted("dropped", reason);
    }

    void corruptedSkipped(long count) {
        engine.counted("corrupted-skipped", Long.toString(count));
    }

    /** Marks the queue deleted and detaches every consumer. */
    void markDeleted() {
        deleted = true;
        executor.execute(() -> {
            recent.clear();
            for (SubscriptionDispatcher d : dispatchers.values()) {
                d.detachAll();
            }
            dispatchers.clear();
        });
    }

    int subscriptionCount() {
        return log.subscriptions().list().size();
    }

    QueueEngine engine() {
        return engine;
    }

    /**
     * Deliveries not yet settled on this queue, as counted when its executor last ran out of work
     * (so at most the tasks queued since behind); never waits.
     */
    int unacknowledged() {
        return unacknowledged;
    }

    /** On the executor, whenever it has run every task submitted so far. */
    private void countUnacknowledged() {
        int n = 0;
        for (SubscriptionDispatcher d : dispatchers.values()) {
            n += d.inFlightCount();
        }
        unacknowledged = n;
    }

    // ---- depth limits ----

    /** The depth limits in force for this queue: its own, or the broker's. */
    private QueueDefinition.Depth depthLimits() {
        return engine.depthOf(definition);
    }

    /**
     * With overflow {@code REJECT}: the refusal for a publish of {@code count} messages of
     * {@code bytes} record bytes that would take the queue past its depth, reported to the
     * limit events; null when it fits, or when the queue sheds its oldest instead.
     */
    private RequestException checkDepth(String principal, int count, long bytes) {
        QueueDefinition.Depth limits = depthLimits();
        if (limits.overflow() != QueueDefinition.Overflow.REJECT) {
            return null;
        }
        QueueDepth.Excess excess = depth.excess(limits, count, bytes);
        if (excess != null && releaseReplayRetained()) {
            // what replay retention kept goes first: it never counts against publishers
            excess = depth.excess(limits, count, bytes);
        }
        if (excess == null) {
            return null;
        }
        String setting = setting(excess.key());
        long limit = excess.limit();
        String held = excess.held();
        engine.limitReport("queue-depth", name(), principal, limit, setting);
        return new RequestException(ErrorCode.QUEUE_FULL, "queue '" + name() + "' holds " + held + " (limit " + setting
                + " = " + limit + "); publishing " + count + " more would pass it. Retry once its consumers have "
                + "acknowledged messages");
    }

    private String setting(String key) {
        return definition.depth() != null ? "queues.define[" + name() + "]." + key : "queues." + key;
    }

    /**
     * With overflow {@code DEAD_LETTER_OLDEST}, on the executor after a publish is stored: moves
     * the oldest messages out until the queue is within its depth. For each subscription, its
     * unacknowledged copies below the new bound are dead-lettered (reason {@code overflow}; dropped
     * when the queue has no dead-letter queue) and then acknowledged for it; a queue without
     * subscriptions dead-letters each message once and releases it. The bytes bound can only be
     * met by whole segments, so it moves the bound up to the second segment's start.
     *
     * <p>A copy a consumer holds in flight, or that its dispatcher read ahead, may still be
     * delivered once while it is being dead-lettered; once the move is done, the dispatchers
     * forget every offset below the bound ({@link SubscriptionDispatcher#overflowed}).
     */
    private void evictOverflow() {
        QueueDefinition.Depth limits = depthLimits();
        if (evicting || deleted || limits.overflow() != QueueDefinition.Overflow.DEAD_LETTER_OLDEST) {
            return;
        }
        long end = log.endOffset();
        long lwm = Math.max(log.startOffset(), log.subscriptions().lowWaterMark(log.startOffset()));
        boolean overMessages = limits.maxMessages() > 0 && depth.retainedFrom(lwm) > limits.maxMessages();
        if (!overMessages && !overBytes(limits)) {
            return;
        }
        // what replay retention kept goes first: no unacknowledged message is moved out while it could
        releaseReplayRetained();
        long low = Math.max(log.startOffset(), log.subscriptions().lowWaterMark(log.startOffset()));
        long bound = low;
        if (overMessages) {
            bound = Math.max(bound, end - limits.maxMessages());
        }
        if (overBytes(limits) && log.retainedSegmentCount() >= 2) {
            bound = Math.max(bound, Math.min(end, log.secondSegmentBase()));
        }
        if (bound <= low) {
            return;
        }
        evicting = true;
        // one round moves at most one read's worth (EVICT_BATCH records, EVICT_BYTES): its dead letters
        // are in memory and in the store's pending writes at once, and a round is acknowledged before
        // the next, so a retried round stays within the dead-letter queue's de-duplication window
        long to;
        List<String> subscriptions = new ArrayList<>();
        List<CompletableFuture<?>> moves = new ArrayList<>();
        try {
            for (SubscriptionSnapshot s : log.subscriptions().list()) {
                subscriptions.add(s.name());
            }
            List<StoredRecord> records;
            long readTo;
            try {
                records = log.read(low, (int) Math.min(EVICT_BATCH, bound - low), EVICT_BYTES);
                readTo = records.isEmpty() ? bound : records.get(records.size() - 1).offset() + 1;
            } catch (RecordCorruptedException e) {
                // damaged records are quarantined by delivery and never served; this round moves past them
                records = List.of();
                readTo = Math.max(low + 1, e.range().to());
            }
            to = Math.min(bound, readTo);
            for (StoredRecord r : records) {
                if (r.offset() >= to) {
                    break;
                }
                MessageEnvelope e;
                try {
                    e = MessageEnvelope.decode(r.payload());
                } catch (IllegalArgumentException ex) {
                    continue;
                }
                if (subscriptions.isEmpty()) {
                    moves.add(overflowSafely(r.offset(), e, ""));
                }
                for (String s : subscriptions) {
                    if (!log.subscriptions().isAcked(s, r.offset())) {
                        moves.add(overflowSafely(r.offset(), e, s));
                    }
                }
            }
        } catch (RuntimeException e) {
            // never leave the flag set: overflow would stop for good and the queue grow without bound
            evicting = false;
            LOG.warn("queue '{}': moving its oldest messages out for overflow failed ({}); it is tried again at the "
                    + "next publish", name(), e.getMessage());
            return;
        }
        CompletableFuture.allOf(moves.toArray(CompletableFuture[]::new)).whenComplete((v, error) -> executor.execute(() -> {
            evicting = false;
            if (error != null) {
                LOG.warn("queue '{}': moving its oldest messages out for overflow failed ({}); it is tried again at the "
                        + "next publish", name(), Futures.cause(error).getMessage());
                return;
            }
            if (deleted) {
                return;
            }
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (String s : subscriptions) {
                acks.add(log.subscriptions().ackRange(s, low, to));
            }
            // what the dispatchers read ahead or have out below the bound is settled now: not delivered again
            for (SubscriptionDispatcher d : dispatchers.values()) {
                d.overflowed(to);
            }
            // publishes that came meanwhile found an eviction under way and left theirs to this one
            if (subscriptions.isEmpty()) {
                log.releaseBelow(to);
                depth.lowWaterMarkRead(log.startOffset());
                evictOverflow();
            } else {
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).whenComplete((x, e) -> {
                    scheduleRelease();
                    if (e == null) {
                        executor.execute(this::evictOverflow);
                    }
                });
            }
        }));
    }

    /**
     * Whether the queue's log holds more than its byte limit, not counting the segments released
     * already (their files are deleted on the store's commit thread a little later).
     */
    private boolean overBytes(QueueDefinition.Depth limits) {
        return limits.maxBytes() > 0 && log.retainedSizeBytes() > limits.maxBytes();
    }

    /** {@link #overflow}, with a refusal thrown at once (a full store...) turned into a failed move. */
    private CompletableFuture<?> overflowSafely(long offset, MessageEnvelope envelope, String subscription) {
        try {
            return overflow(offset, envelope, subscription);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Moves one copy out for overflow: to the dead-letter queue, with the headers dead letters
     * carry, or dropped (counted) when there is none. A message failing its broker signature is
     * dropped rather than signed anew in the dead-letter queue.
     */
    private CompletableFuture<?> overflow(long offset, MessageEnvelope envelope, String subscription) {
        BrokerQueue target = deadLetterTarget();
        if (target == null || !engine.intact(name(), offset, envelope)) {
            dropped(target == null ? "overflow" : "signature-invalid");
            return CompletableFuture.completedFuture(null);
        }
        Headers.Builder headers = Headers.builder();
        Headers original = envelope.headers();
        for (int i = 0; i < original.size(); i++) {
            if (!original.keyAt(i).startsWith("x-dead-letter-")) {
                headers.add(original.keyAt(i), original.valueAt(i));
            }
        }
        headers.add("x-dead-letter-reason", "overflow")
                .add("x-dead-letter-queue", name())
                .add("x-dead-letter-subscription", subscription)
                .add("x-dead-letter-offset", Long.toString(offset))
                .add("x-dead-letter-deliveries", "0");
        MessageEnvelope letter = MessageEnvelope.of(envelope.brokerTimestampMillis(), 0, envelope.producerPrincipal(),
                "dlq-overflow:" + name() + "/" + subscription, offset, headers.build(), envelope.payload(),
                envelope.producerSignature(), engine.signing());
        return target.appendInternal(letter).thenRun(() -> deadLettered("overflow"));
    }

    long depth() {
        return depth.messages();
    }
}
