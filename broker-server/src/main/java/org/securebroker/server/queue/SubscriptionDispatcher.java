package org.securebroker.server.queue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.store.OffsetRange;
import org.securebroker.store.RecordCorruptedException;
import org.securebroker.store.StoreException;
import org.securebroker.store.StoredRecord;
import org.securebroker.store.subscription.Subscriptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one subscription of one queue to its competing consumers.
 *
 * <p>The durable state (which offsets are acknowledged) lives in the store; this class keeps
 * what is only worth keeping while the broker runs: the first-delivery cursor, the deliveries in
 * flight with their deadlines, the messages waiting for redelivery and the delivery counts.
 * After a restart the cursor starts again at the committed position and every unacknowledged
 * message is delivered again.
 *
 * <p>Order of service: messages waiting for redelivery first, then new ones in offset order;
 * consumers round-robin among those with credit and a writable connection. A message is never
 * delivered twice at the same time, and a consumer never gets more deliveries than its credit.
 *
 * <p>Thread-safety: not thread-safe; every method runs on the queue's serial executor.
 */
final class SubscriptionDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionDispatcher.class);
    private static final int READ_RECORDS = 128;
    private static final long READ_BYTES = 256 * 1024;

    private record InFlight(Consumer consumer, int count, long deadline) {
    }

    private record Waiting(long offset, long notBefore) {
    }

    private final BrokerQueue queue;
    private final String name;
    private final Subscriptions durable;
    private final List<Consumer> consumers = new ArrayList<>();
    private int nextConsumer;
    private long readCursor;
    private final ArrayDeque<StoredRecord> readAhead = new ArrayDeque<>();
    private final TreeMap<Long, InFlight> inFlight = new TreeMap<>();
    private final PriorityQueue<Waiting> waiting = new PriorityQueue<>(
            Comparator.comparingLong(Waiting::notBefore).thenComparingLong(Waiting::offset));
    private final Map<Long, Integer> counts = new HashMap<>();
    private final Set<Long> deadLettering = new HashSet<>();
    private long timerAt = Long.MAX_VALUE;

    SubscriptionDispatcher(BrokerQueue queue, String name, long committed) {
        this.queue = queue;
        this.name = name;
        this.durable = queue.log().subscriptions();
        this.readCursor = Math.max(committed, queue.log().startOffset());
    }

    BrokerQueue queue() {
        return queue;
    }

    String name() {
        return name;
    }

    int consumerCount() {
        return consumers.size();
    }

    void add(Consumer consumer) {
        consumers.add(consumer);
        dispatch();
    }

    /** Detaches a consumer; its unsettled deliveries become due for redelivery at once. */
    void remove(Consumer consumer) {
        if (!consumers.remove(consumer)) {
            return;
        }
        consumer.closed = true;
        long now = queue.clock().millis();
        Iterator<Map.Entry<Long, InFlight>> it = inFlight.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, InFlight> e = it.next();
            if (e.getValue().consumer() == consumer) {
                it.remove();
                waiting.add(new Waiting(e.getKey(), now));
            }
        }
        consumer.inFlight = 0;
        dispatch();
    }

    void credit(Consumer consumer, long credit) {
        consumer.credit = Math.min(0xFFFF_FFFFL, consumer.credit + credit);
        dispatch();
    }

    /**
     * Settles deliveries. An offset this subscription never delivered (and has not settled) is
     * refused, so a consumer cannot acknowledge messages it has not seen.
     *
     * @return the refused offsets
     */
    long[] ack(long[] offsets) {
        long[] sorted = offsets.clone();
        Arrays.sort(sorted);
        long[] refused = new long[0];
        long runStart = -1;
        long runEnd = -1;
        for (long offset : sorted) {
            InFlight f = inFlight.remove(offset);
            if (f == null && !counts.containsKey(offset)) {
                if (!durable.isAcked(name, offset)) {
                    refused = Arrays.copyOf(refused, refused.length + 1);
                    refused[refused.length - 1] = offset;
                }
                continue;
            }
            if (f != null) {
                f.consumer().inFlight--;
            }
            counts.remove(offset);
            if (offset == runEnd) {
                runEnd++;
            } else {
                flushAckRun(runStart, runEnd);
                runStart = offset;
                runEnd = offset + 1;
            }
        }
        flushAckRun(runStart, runEnd);
        queue.scheduleRelease();
        return refused;
    }

    private void flushAckRun(long from, long to) {
        if (from >= 0 && to > from) {
            durable.ackRange(name, from, to).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.warn("acknowledgement of {}/{} offsets [{}, {}) was not made durable: {}", queue.name(), name, from,
                            to, e.getMessage());
                }
            });
        }
    }

    /**
     * Returns a delivery for redelivery after {@code delayMillis}.
     *
     * @return false if this subscription never delivered the offset or settled it already
     */
    boolean nack(long offset, long delayMillis) {
        InFlight f = inFlight.remove(offset);
        if (f == null) {
            // already waiting for redelivery (its consumer went away or its ack deadline passed)
            return counts.containsKey(offset);
        }
        f.consumer().inFlight--;
        waitFor(offset, queue.clock().millis() + delayMillis);
        dispatch();
        return true;
    }

    /** Moves deliveries past their ack deadline back to the waiting list. */
    void expireDeadlines() {
        long now = queue.clock().millis();
        boolean any = false;
        Iterator<Map.Entry<Long, InFlight>> it = inFlight.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, InFlight> e = it.next();
            if (e.getValue().deadline() <= now) {
                it.remove();
                e.getValue().consumer().inFlight--;
                waiting.add(new Waiting(e.getKey(), now));
                any = true;
                LOG.debug("{}/{}: offset {} was not acknowledged in time; it will be delivered again", queue.name(), name,
                        e.getKey());
            }
        }
        if (any || !waiting.isEmpty()) {
            dispatch();
        }
    }

    private void waitFor(long offset, long notBefore) {
        waiting.add(new Waiting(offset, notBefore));
        if (notBefore < timerAt) {
            timerAt = notBefore;
            queue.scheduleDispatch(this, Math.max(0, notBefore - queue.clock().millis()));
        }
    }

    void timerFired() {
        timerAt = Long.MAX_VALUE;
        dispatch();
    }

    /** Delivers as much as credit and connections allow. */
    void dispatch() {
        if (queue.isDeleted() || consumers.isEmpty()) {
            return;
        }
        long now = queue.clock().millis();
        Set<Consumer> touched = new LinkedHashSet<>();
        while (anyConsumerReady()) {
            StoredRecord record = nextRecord(now);
            if (record == null) {
                break;
            }
            long offset = record.offset();
            MessageEnvelope envelope;
            try {
                envelope = MessageEnvelope.decode(record.payload());
            } catch (IllegalArgumentException e) {
                LOG.error("{}/{}: offset {} holds no readable message ({}); it is skipped", queue.name(), name, offset,
                        e.getMessage());
                settle(offset);
                continue;
            }
            int previous = counts.getOrDefault(offset, 0);
            if (envelope.isExpired(now)) {
                divert(offset, envelope, "expired", previous);
                continue;
            }
            int max = queue.definition().maxDeliveries();
            if (max > 0 && previous >= max) {
                divert(offset, envelope, "max-deliveries", previous);
                continue;
            }
            int count = previous + 1;
            Consumer consumer = nextReadyConsumer();
            counts.put(offset, count);
            inFlight.put(offset, new InFlight(consumer, count, now + queue.ackTimeoutMillis()));
            consumer.credit--;
            consumer.inFlight++;
            consumer.sink().deliver(new DeliverFrame(consumer.id(), queue.name(), offset, count,
                    envelope.brokerTimestampMillis(), envelope.producerPrincipal(), envelope.producerId(),
                    envelope.sequence(), envelope.headers(), envelope.payload(), envelope.producerSignature(), Bytes.EMPTY));
            touched.add(consumer);
        }
        for (Consumer c : touched) {
            c.sink().flush();
        }
        Waiting head = waiting.peek();
        if (head != null && head.notBefore() > now && head.notBefore() < timerAt) {
            timerAt = head.notBefore();
            queue.scheduleDispatch(this, head.notBefore() - now);
        }
    }

    private boolean anyConsumerReady() {
        for (Consumer c : consumers) {
            if (c.ready()) {
                return true;
            }
        }
        return false;
    }

    /** The next ready consumer in round-robin order; call only when {@link #anyConsumerReady()}. */
    private Consumer nextReadyConsumer() {
        int n = consumers.size();
        for (int i = 0; i < n; i++) {
            Consumer c = consumers.get((nextConsumer + i) % n);
            if (c.ready()) {
                nextConsumer = (nextConsumer + i + 1) % n;
                return c;
            }
        }
        return null;
    }

    /** The next message to deliver: a due redelivery first, else the next new one. */
    private StoredRecord nextRecord(long now) {
        while (!waiting.isEmpty() && waiting.peek().notBefore() <= now) {
            long offset = waiting.poll().offset();
            if (inFlight.containsKey(offset) || deadLettering.contains(offset) || durable.isAcked(name, offset)) {
                continue;
            }
            StoredRecord record = readOne(offset);
            if (record != null) {
                return record;
            }
        }
        while (true) {
            if (readAhead.isEmpty() && !fill()) {
                return null;
            }
            StoredRecord record = readAhead.poll();
            if (!durable.isAcked(name, record.offset())) {
                return record;
            }
        }
    }

    private StoredRecord readOne(long offset) {
        if (offset < queue.log().startOffset()) {
            counts.remove(offset);
            return null;
        }
        try {
            List<StoredRecord> records = queue.log().read(offset, 1, Long.MAX_VALUE);
            return records.isEmpty() ? null : records.get(0);
        } catch (RecordCorruptedException e) {
            skipCorrupted(e.range());
            return null;
        } catch (StoreException e) {
            LOG.warn("{}/{}: offset {} cannot be read for redelivery: {}", queue.name(), name, offset, e.getMessage());
            return null;
        }
    }

    private boolean fill() {
        for (int attempt = 0; attempt < 16; attempt++) {
            long start = queue.log().startOffset();
            if (readCursor < start) {
                readCursor = start;
            }
            if (readCursor >= queue.log().endOffset()) {
                return false;
            }
            try {
                List<StoredRecord> records = queue.log().read(readCursor, READ_RECORDS, READ_BYTES);
                if (records.isEmpty()) {
                    return false;
                }
                readAhead.addAll(records);
                readCursor = records.get(records.size() - 1).offset() + 1;
                return true;
            } catch (RecordCorruptedException e) {
                skipCorrupted(e.range());
                readCursor = Math.max(readCursor, e.range().to());
            } catch (StoreException e) {
                if (e.kind() != StoreException.Kind.OFFSET_OUT_OF_RANGE) {
                    LOG.warn("{}/{}: reading from offset {} failed: {}", queue.name(), name, readCursor, e.getMessage());
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * Damaged records are never served: they are reported and settled for this subscription so
     * that it can move past them.
     */
    private void skipCorrupted(OffsetRange range) {
        LOG.error("{}/{}: offsets {} are quarantined by the store (damaged on disk) and are not delivered; they are "
                + "settled so the subscription can continue", queue.name(), name, range);
        queue.corruptedSkipped(range.count());
        for (long o = range.from(); o < range.to(); o++) {
            counts.remove(o);
        }
        if (range.count() > 0) {
            durable.ackRange(name, range.from(), range.to());
        }
    }

    /** Sends an expired or undeliverable message to the dead-letter queue, or drops it if there is none. */
    private void divert(long offset, MessageEnvelope envelope, String reason, int deliveries) {
        BrokerQueue target = queue.deadLetterTarget();
        if (target == null) {
            LOG.info("{}/{}: offset {} dropped ({}, {} deliveries); the queue has no dead-letter queue", queue.name(), name,
                    offset, reason, deliveries);
            queue.dropped(reason);
            settle(offset);
            return;
        }
        deadLettering.add(offset);
        Headers.Builder headers = Headers.builder();
        Headers original = envelope.headers();
        for (int i = 0; i < original.size(); i++) {
            if (!original.keyAt(i).startsWith("x-dead-letter-")) {
                headers.add(original.keyAt(i), original.valueAt(i));
            }
        }
        headers.add("x-dead-letter-reason", reason)
                .add("x-dead-letter-queue", queue.name())
                .add("x-dead-letter-subscription", name)
                .add("x-dead-letter-offset", Long.toString(offset))
                .add("x-dead-letter-deliveries", Integer.toString(deliveries));
        MessageEnvelope letter = new MessageEnvelope(envelope.brokerTimestampMillis(), 0, envelope.producerPrincipal(),
                "dlq:" + queue.name() + "/" + name, offset, headers.build(), envelope.payload(), envelope.producerSignature());
        target.appendInternal(letter).whenComplete((stored, error) -> queue.executor().execute(() -> {
            deadLettering.remove(offset);
            if (error == null) {
                queue.deadLettered(reason);
                settle(offset);
            } else {
                LOG.warn("{}/{}: dead-lettering offset {} to '{}' failed ({}); it will be retried", queue.name(), name,
                        offset, target.name(), error.getMessage());
                waitFor(offset, queue.clock().millis() + 1000);
            }
        }));
    }

    private void settle(long offset) {
        counts.remove(offset);
        durable.ack(name, offset);
        queue.scheduleRelease();
    }

    /** Detaches every consumer (the queue is being deleted). */
    void detachAll() {
        for (Consumer c : new ArrayList<>(consumers)) {
            c.closed = true;
        }
        consumers.clear();
        inFlight.clear();
        waiting.clear();
        readAhead.clear();
    }
}
