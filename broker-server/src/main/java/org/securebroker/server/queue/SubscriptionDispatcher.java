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
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.failure.RecordCorruptedException;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.subscription.SubscriptionSnapshot;
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
    /** How often a message waiting for an unavailable dead-letter queue is looked at again. */
    private static final long DEAD_LETTER_RETRY_MILLIS = 30_000;

    /** @param size the message's bytes, counted against its consumer's window */
    private record InFlight(Consumer consumer, int count, long deadline, int size) {
    }

    private record Waiting(long offset, long notBefore) {
    }

    /**
     * A message on its way to the dead-letter queue whose move failed or waits for the queue: it
     * is moved again from {@code notBefore}, never delivered again.
     *
     * @param extra headers the dead letter carries besides, or null
     */
    private record Diverting(String reason, int deliveries, Headers extra, long notBefore) {
    }

    /** A message ready to go out. */
    private record Candidate(long offset, MessageEnvelope envelope) {
    }

    private final BrokerQueue queue;
    private final String name;
    private final Subscriptions durable;
    private final List<Consumer> consumers = new ArrayList<>();
    private int nextConsumer;
    private long readCursor;
    private final ArrayDeque<Candidate> readAhead = new ArrayDeque<>();
    private final TreeMap<Long, InFlight> inFlight = new TreeMap<>();
    private final PriorityQueue<Waiting> waiting = new PriorityQueue<>(
            Comparator.comparingLong(Waiting::notBefore).thenComparingLong(Waiting::offset));
    private final Map<Long, Integer> counts = new HashMap<>();
    private final Set<Long> deadLettering = new HashSet<>();
    /** Messages whose move to the dead-letter queue is to be tried again, by offset. */
    private final TreeMap<Long, Diverting> divertAgain = new TreeMap<>();
    private long timerAt = Long.MAX_VALUE;
    /**
     * The subscription was deleted or moved: nothing is delivered or acknowledged through this
     * dispatcher any more, and what it had under way (a dead-lettering) settles nothing when it completes.
     */
    private boolean gone;
    /**
     * No offset at or above this was acknowledged when the dispatcher started, and since then only
     * delivered offsets can be acknowledged, so new messages past it need no acknowledgement check.
     */
    private final long ackedHorizon;

    SubscriptionDispatcher(BrokerQueue queue, String name, SubscriptionSnapshot state) {
        this.queue = queue;
        this.name = name;
        this.durable = queue.log().subscriptions();
        this.readCursor = Math.max(state.committed(), queue.log().startOffset());
        long horizon = state.committed();
        for (OffsetRange r : state.ackedAbove()) {
            horizon = Math.max(horizon, r.to());
        }
        this.ackedHorizon = horizon;
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
                // read before removing: TreeMap reuses a removed entry for its successor, so the entry's
                // key afterwards may be another offset (one offset redelivered twice, this one never)
                long offset = e.getKey();
                it.remove();
                waiting.add(new Waiting(offset, now));
            }
        }
        consumer.inFlight = 0;
        consumer.inFlightBytes = 0;
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
        if (gone) {
            return new long[0];
        }
        long[] sorted = offsets.clone();
        Arrays.sort(sorted);
        long[] refused = new long[0];
        long runStart = -1;
        long runEnd = -1;
        boolean windowOpened = false;
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
                Consumer c = f.consumer();
                boolean wasFull = c.windowFull();
                settled(c, f.size());
                windowOpened |= wasFull && !c.windowFull();
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
        if (windowOpened) {
            // credit alone never stopped that consumer, so no CREDIT frame will come to resume it
            dispatch();
        }
        return refused;
    }

    private void flushAckRun(long from, long to) {
        if (from >= 0 && to > from) {
            durable.ackRange(name, from, to).whenComplete((v, e) -> queue.ackWritten(name, from, to, e));
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
        settled(f.consumer(), f.size());
        waitFor(offset, queue.clock().millis() + delayMillis);
        dispatch();
        return true;
    }

    /** A delivery of {@code bytes} to {@code consumer} was settled or taken back. */
    private static void settled(Consumer consumer, int bytes) {
        consumer.inFlight--;
        consumer.inFlightBytes -= bytes;
    }

    /**
     * The messages below {@code bound} were moved out for overflow (dead-lettered, or dropped,
     * and acknowledged for every subscription): none of them is delivered again. A consumer that
     * still holds one may acknowledge it; that is accepted and changes nothing.
     */
    void overflowed(long bound) {
        readAhead.removeIf(c -> c.offset() < bound);
        if (readCursor < bound) {
            readCursor = bound;
        }
        java.util.NavigableMap<Long, InFlight> below = inFlight.headMap(bound, false);
        for (InFlight f : below.values()) {
            settled(f.consumer(), f.size());
        }
        below.clear();
        counts.keySet().removeIf(offset -> offset < bound);
        divertAgain.headMap(bound, false).clear();
        dispatch();
    }

    /** Moves deliveries past their ack deadline back to the waiting list. */
    void expireDeadlines() {
        long now = queue.clock().millis();
        boolean any = false;
        Iterator<Map.Entry<Long, InFlight>> it = inFlight.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, InFlight> e = it.next();
            if (e.getValue().deadline() <= now) {
                long offset = e.getKey();
                InFlight expired = e.getValue();
                it.remove(); // the entry may hold its successor after this (see remove)
                settled(expired.consumer(), expired.size());
                waiting.add(new Waiting(offset, now));
                any = true;
                LOG.debug("{}/{}: offset {} was not acknowledged in time; it will be delivered again", queue.name(), name,
                        offset);
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

    /**
     * Moves a delivery in flight straight to the dead-letter queue (reason {@code rejected}, with
     * {@code x-rejected-reason} and {@code x-rejected-by}), as if its deliveries were used up.
     *
     * @return why it was refused, or null if it is on its way to the dead-letter queue
     */
    RequestException reject(long offset, String reason, String principal) {
        InFlight f = inFlight.get(offset);
        if (f == null) {
            return new RequestException(ErrorCode.INVALID_REQUEST, "offset " + offset + " is not a delivery of "
                    + "subscription '" + name + "' waiting for settlement; only a message delivered and not yet "
                    + "acknowledged can be rejected");
        }
        String deadLetterQueue = queue.definition().deadLetterQueue();
        if (deadLetterQueue.isEmpty() || !queue.engine().exists(deadLetterQueue)) {
            return new RequestException(ErrorCode.INVALID_REQUEST, "queue '" + queue.name() + "' has no dead-letter "
                    + "queue, so nothing can be rejected to it (nothing was dropped); acknowledge or nack the message");
        }
        Candidate c = readOne(offset);
        if (c == null) {
            return new RequestException(ErrorCode.INVALID_REQUEST, "offset " + offset + " is no longer stored");
        }
        inFlight.remove(offset);
        settled(f.consumer(), f.size());
        divert(offset, c.envelope(), "rejected", f.count(),
                Headers.builder().add("x-rejected-reason", reason).add("x-rejected-by", principal).build());
        dispatch();
        return null;
    }

    /** Delivers as much as credit and connections allow. */
    void dispatch() {
        if (gone || queue.isDeleted()) {
            return;
        }
        long now = queue.clock().millis();
        if (!divertAgain.isEmpty()) {
            divertDue(now);
        }
        if (consumers.isEmpty()) {
            return;
        }
        Set<Consumer> touched = new LinkedHashSet<>();
        while (true) {
            int candidate = readyConsumerIndex();
            if (candidate < 0) {
                dropReadAhead();
                break;
            }
            Candidate next = nextCandidate(now);
            if (next == null) {
                break;
            }
            long offset = next.offset();
            MessageEnvelope envelope = next.envelope();
            int previous = counts.getOrDefault(offset, 0);
            if (envelope.isExpired(now)) {
                divert(offset, envelope, "expired", previous, null);
                continue;
            }
            int max = queue.definition().maxDeliveries();
            if (max > 0 && previous >= max) {
                divert(offset, envelope, "max-deliveries", previous, null);
                continue;
            }
            int count = previous + 1;
            Consumer consumer = consumers.get(candidate);
            nextConsumer = (candidate + 1) % consumers.size();
            counts.put(offset, count);
            int size = envelope.payload().length();
            inFlight.put(offset, new InFlight(consumer, count, now + queue.ackTimeoutMillis(), size));
            consumer.credit--;
            consumer.inFlight++;
            consumer.inFlightBytes += size;
            queue.engine().delivered(envelope.payload().length(), count > 1);
            consumer.sink().deliver(new DeliverFrame(consumer.id(), queue.name(), offset, count,
                    envelope.brokerTimestampMillis(), envelope.producerPrincipal(), envelope.producerId(),
                    envelope.sequence(), envelope.headers(), envelope.payload(), envelope.producerSignature(),
                    envelope.brokerSeal()));
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

    /** Moves again the messages whose dead-lettering is due for another try; schedules the next try. */
    private void divertDue(long now) {
        while (!divertAgain.isEmpty()) {
            Map.Entry<Long, Diverting> due = null;
            long next = Long.MAX_VALUE;
            for (Map.Entry<Long, Diverting> e : divertAgain.entrySet()) {
                if (e.getValue().notBefore() <= now) {
                    due = e;
                    break;
                }
                next = Math.min(next, e.getValue().notBefore());
            }
            if (due == null) {
                if (next < timerAt) {
                    timerAt = next;
                    queue.scheduleDispatch(this, Math.max(0, next - now));
                }
                return;
            }
            long offset = due.getKey();
            Diverting d = due.getValue();
            divertAgain.remove(offset);
            Candidate c = readOne(offset);
            if (c != null) {
                divert(offset, c.envelope(), d.reason(), d.deliveries(), d.extra());
            } else if (offset >= queue.log().startOffset() && !durable.isAcked(name, offset)) {
                // not readable now (a failed read is logged): tried again later
                divertLater(offset, d.reason(), d.deliveries(), d.extra(), DEAD_LETTER_RETRY_MILLIS);
            }
        }
    }

    /**
     * Nobody can take a delivery now: the messages read ahead are let go and read again when
     * someone can, so a subscription whose consumers stopped holds no records in memory (with many
     * subscriptions of stalled consumers, read-ahead would otherwise hold up to
     * {@value #READ_BYTES} bytes each, or all that the recent messages evicted meanwhile).
     */
    private void dropReadAhead() {
        Candidate first = readAhead.peek();
        if (first != null) {
            readCursor = first.offset();
            readAhead.clear();
        }
    }

    /**
     * The index of the next consumer in round-robin order that can take a delivery, or -1. The
     * choice is made before a record is taken, so a connection that turns unwritable meanwhile
     * still gets the record it was chosen for (its credit allows it) and no record is dropped.
     */
    private int readyConsumerIndex() {
        int n = consumers.size();
        for (int i = 0; i < n; i++) {
            int index = (nextConsumer + i) % n;
            if (consumers.get(index).ready()) {
                return index;
            }
        }
        return -1;
    }

    /** The next message to deliver: a due redelivery first, else the next new one. */
    private Candidate nextCandidate(long now) {
        while (!waiting.isEmpty() && waiting.peek().notBefore() <= now) {
            long offset = waiting.poll().offset();
            if (inFlight.containsKey(offset) || deadLettering.contains(offset) || divertAgain.containsKey(offset)
                    || durable.isAcked(name, offset)) {
                continue;
            }
            Candidate c = readOne(offset);
            if (c != null) {
                return c;
            }
        }
        while (true) {
            if (readAhead.isEmpty() && !fill()) {
                return null;
            }
            Candidate c = readAhead.poll();
            if (!divertAgain.isEmpty() && divertAgain.containsKey(c.offset())) {
                continue;
            }
            if (c.offset() >= ackedHorizon || !durable.isAcked(name, c.offset())) {
                return c;
            }
        }
    }

    private Candidate readOne(long offset) {
        if (offset < queue.log().startOffset()) {
            counts.remove(offset);
            return null;
        }
        MessageEnvelope recent = queue.recent().get(offset);
        if (recent != null) {
            return new Candidate(offset, recent);
        }
        try {
            List<StoredRecord> records = queue.log().read(offset, 1, Long.MAX_VALUE);
            return records.isEmpty() ? null : decode(records.get(0));
        } catch (RecordCorruptedException e) {
            skipCorrupted(e.range());
            return null;
        } catch (StoreException e) {
            LOG.warn("{}/{}: offset {} cannot be read for redelivery: {}", queue.name(), name, offset, e.getMessage());
            return null;
        }
    }

    /** Decodes a stored message; one that does not decode is reported and settled, never delivered. */
    private Candidate decode(StoredRecord record) {
        try {
            return new Candidate(record.offset(), MessageEnvelope.decode(record.payload()));
        } catch (IllegalArgumentException e) {
            LOG.error("{}/{}: offset {} holds no readable message ({}); it is skipped", queue.name(), name,
                    record.offset(), e.getMessage());
            settle(record.offset());
            return null;
        }
    }

    /** Refills the read-ahead from the recent messages held in memory, else from the store. */
    private boolean fill() {
        for (int attempt = 0; attempt < 16; attempt++) {
            long start = queue.log().startOffset();
            if (readCursor < start) {
                readCursor = start;
            }
            if (readCursor >= queue.log().endOffset()) {
                return false;
            }
            RecentMessages recent = queue.recent();
            MessageEnvelope held = recent.get(readCursor);
            if (held != null) {
                // bounded in bytes as store reads are: these references keep messages alive after
                // the recent messages let them go
                long bytes = 0;
                for (int i = 0; i < READ_RECORDS && held != null && bytes < READ_BYTES; i++) {
                    readAhead.add(new Candidate(readCursor, held));
                    bytes += held.payload().length();
                    readCursor++;
                    held = recent.get(readCursor);
                }
                return true;
            }
            try {
                List<StoredRecord> records = queue.log().read(readCursor, READ_RECORDS, READ_BYTES);
                if (records.isEmpty()) {
                    return false;
                }
                for (StoredRecord r : records) {
                    Candidate c = decode(r);
                    if (c != null) {
                        readAhead.add(c);
                    }
                }
                readCursor = records.get(records.size() - 1).offset() + 1;
                if (!readAhead.isEmpty()) {
                    return true;
                }
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
    private void divert(long offset, MessageEnvelope envelope, String reason, int deliveries, Headers extra) {
        BrokerQueue target = queue.deadLetterTarget();
        String deadLetterQueue = queue.definition().deadLetterQueue();
        if (target == null && !deadLetterQueue.isEmpty() && queue.engine().exists(deadLetterQueue)) {
            // the dead-letter queue exists but is unavailable: keep the message until it is repaired or deleted
            queue.deadLetterQueueUnavailable(deadLetterQueue);
            divertLater(offset, reason, deliveries, extra, DEAD_LETTER_RETRY_MILLIS);
            return;
        }
        if (target == null) {
            LOG.info("{}/{}: offset {} dropped ({}, {} deliveries); the queue has no dead-letter queue", queue.name(), name,
                    offset, reason, deliveries);
            queue.dropped(reason);
            settle(offset);
            return;
        }
        if (!queue.engine().intact(queue.name(), offset, envelope)) {
            LOG.error("{}/{}: offset {} is not moved to the dead-letter queue ({}): without a valid broker signature it "
                    + "would be signed anew there; it is dropped", queue.name(), name, offset, reason);
            queue.dropped("signature-invalid");
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
        if (extra != null) {
            for (int i = 0; i < extra.size(); i++) {
                headers.add(extra.keyAt(i), extra.valueAt(i));
            }
        }
        MessageEnvelope letter = MessageEnvelope.of(envelope.brokerTimestampMillis(), 0, envelope.producerPrincipal(),
                "dlq:" + queue.name() + "/" + name, offset, headers.build(), envelope.payload(), envelope.producerSignature(),
                queue.engine().signing());
        target.appendInternal(letter).whenComplete((stored, error) -> queue.executor().execute(() -> {
            deadLettering.remove(offset);
            if (gone) {
                // deleted or moved meanwhile: the offset means something else to the subscription now
                return;
            }
            if (error == null) {
                queue.deadLettered(reason);
                settle(offset);
            } else {
                Throwable cause = Futures.cause(error);
                if (cause instanceof RequestException r && r.code() == ErrorCode.STORE_FULL) {
                    // the disk-full episode is logged once, from the store's health
                    LOG.debug("{}/{}: dead-lettering offset {} to '{}' waits for disk space", queue.name(), name, offset,
                            target.name());
                } else {
                    LOG.warn("{}/{}: dead-lettering offset {} to '{}' failed ({}); it will be retried", queue.name(),
                            name, offset, target.name(), cause.getMessage());
                }
                divertLater(offset, reason, deliveries, extra, 1000);
            }
        }));
    }

    /**
     * The move of {@code offset} to the dead-letter queue is tried again after {@code delayMillis}:
     * it left its consumers for good (a rejection was answered, its deliveries are used up or it
     * expired), so it is never delivered again meanwhile.
     */
    private void divertLater(long offset, String reason, int deliveries, Headers extra, long delayMillis) {
        long at = queue.clock().millis() + delayMillis;
        divertAgain.put(offset, new Diverting(reason, deliveries, extra, at));
        if (at < timerAt) {
            timerAt = at;
            queue.scheduleDispatch(this, delayMillis);
        }
    }

    private void settle(long offset) {
        if (gone) {
            return;
        }
        counts.remove(offset);
        durable.ack(name, offset);
        queue.scheduleRelease();
    }

    /** Detaches every consumer (the queue is being deleted). */
    int inFlightCount() {
        return inFlight.size();
    }

    void detachAll() {
        cancelAll(ErrorCode.QUEUE_NOT_FOUND, "queue '" + queue.name() + "' was deleted");
    }

    /**
     * The subscription is gone: cancels every consumer with {@code code} and forgets what was in
     * flight, and this dispatcher delivers nothing more.
     *
     * @return the consumers cancelled
     */
    List<Consumer> cancelAll(ErrorCode code, String message) {
        retire();
        List<Consumer> cancelled = new ArrayList<>(consumers);
        for (Consumer c : cancelled) {
            c.closed = true;
            c.sink().cancelled(c.id(), code, message);
        }
        consumers.clear();
        return cancelled;
    }

    /**
     * The subscription was moved (a seek) or deleted: this dispatcher delivers and settles nothing
     * more, and forgets what it had in flight; a new one serves the subscription from its state.
     */
    void retire() {
        gone = true;
        inFlight.clear();
        waiting.clear();
        readAhead.clear();
        counts.clear();
        divertAgain.clear();
    }
}
