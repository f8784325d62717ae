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

    private final QueueEngine engine;
    private final Log log;
    private final SerialExecutor executor;
    private final Deduplicator dedup;
    private final Map<String, SubscriptionDispatcher> dispatchers = new HashMap<>();
    /** Subscriptions whose durable state is being created, and the consumers' wait for it; on the executor. */
    private final Map<String, CompletableFuture<SubscriptionDispatcher>> opening = new HashMap<>();
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

    BrokerQueue(QueueEngine engine, QueueDefinition definition, Log log) {
        this.engine = engine;
        this.definition = definition;
        this.log = log;
        this.executor = new SerialExecutor(engine.workers(), this::countUnacknowledged);
        this.dedup = new Deduplicator(engine.settings().dedupWindow(), engine.settings().dedupMaxProducers());
        this.recent = new RecentMessages(engine.recentBudget(),
                Math.min(RECENT_PER_QUEUE_BYTES, engine.recentBudget().limit()), RECENT_PER_QUEUE_MESSAGES);
        this.signatureChecks = new SignatureChecks(engine.workers());
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
            int size = e.encodedSize();
            if (size > engine.settings().maxMessageBytes()) {
                throw new RequestException(ErrorCode.MESSAGE_TOO_LARGE, "message " + (i + 1) + " is " + size
                        + " bytes with its headers; the limit is " + engine.settings().maxMessageBytes());
            }
            envelopes[i] = e;
        }
        return store(envelopes);
    }

    /** Stores a message the broker itself produced (a dead letter). */
    CompletableFuture<Long> appendInternal(MessageEnvelope envelope) {
        return store(new MessageEnvelope[] {envelope}).thenApply(results -> results.get(0).offset());
    }

    private CompletableFuture<List<PublishResult>> store(MessageEnvelope[] envelopes) {
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
            CompletableFuture<AppendResult> append = log.append(records);
            waits.add(append.handle((result, error) -> {
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
    }

    void scheduleDispatch(SubscriptionDispatcher d, long delayMillis) {
        engine.scheduler().schedule(() -> executor.execute(d::timerFired), delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Releases, about a second later, the records every subscription has acknowledged. */
    void scheduleRelease() {
        if (releaseScheduled.compareAndSet(false, true)) {
            engine.scheduler().schedule(() -> executor.execute(() -> {
                releaseScheduled.set(false);
                if (deleted) {
                    return;
                }
                long lwm = log.subscriptions().lowWaterMark(log.startOffset());
                if (lwm > log.startOffset()) {
                    log.releaseBelow(lwm);
                }
            }), 1, TimeUnit.SECONDS);
        }
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

    long depth() {
        long end = log.endOffset();
        long low = log.subscriptions().lowWaterMark(log.startOffset());
        // offsets skipped after an unclean stop or a failed write hold no message
        return Math.max(0, end - low - log.skippedCount(low, end));
    }
}
