package org.securebroker.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.codec.WireSizes;

/**
 * The publish path: the bounded send buffer, sequence numbers, batching into PUBLISH frames,
 * resending after a reconnect, and request timeouts.
 *
 * <pre>
 * sendAsync (any thread) --enqueue--> submitted --drain (I/O)--> outbox per queue --> PUBLISH
 *                                                                     ^                 |
 *                                                                     +--- requeue -----+ connection lost
 * </pre>
 *
 * <p>The send buffer is a semaphore of {@code maxInFlightSends} permits: a message holds one from
 * {@link #enqueue} until its outcome is decided. The I/O thread numbers messages in the order it
 * takes them (so sequence order is wire order), groups them per queue into frames of at most
 * {@value #MAX_BATCH} messages and at most the negotiated frame size, and keeps every message
 * until its PUBLISH_OK. Frames are written only while the channel is writable: what does not fit
 * stays in the outbox, unencoded, until the channel drains ({@code channelWritabilityChanged}), so a
 * broker that stops reading holds the producer to its send buffer in heap objects rather than
 * every in-flight message encoded in direct memory. When the connection is lost, the unacknowledged messages go back to the
 * outbox in sequence order and are sent again, with the same producer id and sequence, on the
 * next connection.
 *
 * <p>Thread-safety: {@link #enqueue} may be called from any thread; every other method runs on
 * the event loop.
 */
final class Publisher {

    /** Most messages per PUBLISH frame. */
    static final int MAX_BATCH = 256;

    private static final Comparator<PendingPublish> BY_SEQUENCE =
            Comparator.comparingLong(PendingPublish::sequence);

    private final String producerId;
    private final ClientIntegrity integrity;
    private final int producerIdUtf8Length;
    private final int maxInFlight;
    private final Semaphore permits;
    private final SendBufferPolicy policy;
    private final Duration requestTimeout;
    private final Executor completions;
    private final ConcurrentLinkedQueue<PendingPublish> submitted = new ConcurrentLinkedQueue<>();

    private long nextSequence = 1;
    private final Map<String, ArrayDeque<PendingPublish>> outbox = new LinkedHashMap<>();
    /** Every numbered message whose outcome may still be open, oldest first (for timeouts). */
    private final ArrayDeque<PendingPublish> unsettled = new ArrayDeque<>();

    Publisher(String producerId, int maxInFlight, SendBufferPolicy policy, Duration requestTimeout,
              Executor completions, ClientIntegrity integrity) {
        this.integrity = integrity;
        this.producerId = producerId;
        this.producerIdUtf8Length = Utf8.length(producerId);
        this.maxInFlight = maxInFlight;
        this.permits = new Semaphore(maxInFlight);
        this.policy = policy;
        this.requestTimeout = requestTimeout;
        this.completions = completions;
    }

    String producerId() {
        return producerId;
    }

    /** Messages holding a slot in the send buffer. */
    int inFlight() {
        return maxInFlight - permits.availablePermits();
    }

    /**
     * Takes a message into the send buffer, blocking for room if the policy says so.
     *
     * @param maxFrameSize the negotiated frame size limit; a message that cannot fit is refused
     * @throws BrokerException MESSAGE_TOO_LARGE, or OVERLOADED when the buffer stays full
     */
    PendingPublish enqueue(String queue, Message message, int maxFrameSize) {
        long start = System.nanoTime();
        long size = WireSizes.publishMessageSize(producerIdUtf8Length, message.headers(), message.payloadSize())
                + integrity.signatureBytes();
        long frameSize = WireSizes.publishFrameOverhead(queue) + size;
        if (frameSize > maxFrameSize) {
            throw new BrokerException(ErrorCode.MESSAGE_TOO_LARGE, "a message of " + message.payloadSize()
                    + " payload bytes needs a frame of " + frameSize + " bytes; the broker accepts frames of at most "
                    + maxFrameSize + " bytes");
        }
        acquire();
        PendingPublish p = new PendingPublish(queue, message, size, start + requestTimeout.toNanos(),
                permits, completions, integrity);
        submitted.add(p);
        return p;
    }

    private void acquire() {
        if (permits.tryAcquire()) {
            return;
        }
        Optional<Duration> maxWait = policy.maxWait();
        if (maxWait.isEmpty()) {
            throw overloaded("");
        }
        try {
            if (!permits.tryAcquire(maxWait.get().toNanos(), TimeUnit.NANOSECONDS)) {
                throw overloaded(" for " + maxWait.get().toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException(ErrorCode.OVERLOADED, "interrupted while waiting for room in the send buffer", e);
        }
    }

    private BrokerException overloaded(String waited) {
        return new BrokerException(ErrorCode.OVERLOADED, true, "send buffer full" + waited + ": "
                + maxInFlight + " sends in flight (maxInFlightSends); wait for acknowledgements"
                + " or raise the limit", null);
    }

    /**
     * Numbers newly submitted messages and, if connected, sends everything in the outbox.
     *
     * @param session the open session, or null while disconnected
     */
    void drain(Session session) {
        PendingPublish p;
        while ((p = submitted.poll()) != null) {
            if (p.isDone()) {
                continue;
            }
            p.sequence(nextSequence++);
            outbox.computeIfAbsent(p.queue(), q -> new ArrayDeque<>()).add(p);
            unsettled.add(p);
        }
        if (session == null || outbox.isEmpty()) {
            return;
        }
        for (Iterator<Map.Entry<String, ArrayDeque<PendingPublish>>> it = outbox.entrySet().iterator();
                it.hasNext() && session.isWritable(); ) {
            Map.Entry<String, ArrayDeque<PendingPublish>> e = it.next();
            sendQueue(session, e.getKey(), e.getValue());
            if (e.getValue().isEmpty()) {
                it.remove();
            }
        }
        session.flush();
    }

    private void sendQueue(Session session, String queue, ArrayDeque<PendingPublish> messages) {
        int maxFrameSize = session.maxFrameSize();
        long overhead = WireSizes.publishFrameOverhead(queue);
        List<PendingPublish> batch = new ArrayList<>();
        long size = overhead;
        while (!messages.isEmpty()) {
            PendingPublish p = messages.poll();
            if (p.isDone()) {
                continue;
            }
            if (overhead + p.encodedSize() > maxFrameSize) {
                // Possible when a reconnect negotiated a smaller frame size than the first connection.
                p.fail(new BrokerException(ErrorCode.MESSAGE_TOO_LARGE, "the message needs a frame of "
                        + (overhead + p.encodedSize()) + " bytes; the broker now accepts at most "
                        + maxFrameSize));
                continue;
            }
            if (batch.size() == MAX_BATCH || size + p.encodedSize() > maxFrameSize) {
                session.publish(new PublishBatch(queue, batch), producerId);
                batch = new ArrayList<>();
                size = overhead;
                if (!session.isWritable()) {
                    // the rest waits in the outbox, in order, for the channel to drain
                    messages.addFirst(p);
                    return;
                }
            }
            batch.add(p);
            size += p.encodedSize();
        }
        if (!batch.isEmpty()) {
            session.publish(new PublishBatch(queue, batch), producerId);
        }
    }

    /**
     * Puts the messages of batches that were on the wire when the connection was lost back into
     * the outbox, before anything newer for the same queue, in sequence order.
     */
    void requeue(List<PublishBatch> batches) {
        Map<String, List<PendingPublish>> byQueue = new LinkedHashMap<>();
        for (PublishBatch batch : batches) {
            for (PendingPublish p : batch.messages()) {
                if (!p.isDone()) {
                    byQueue.computeIfAbsent(batch.queue(), q -> new ArrayList<>()).add(p);
                }
            }
        }
        for (Map.Entry<String, List<PendingPublish>> e : byQueue.entrySet()) {
            List<PendingPublish> all = e.getValue();
            ArrayDeque<PendingPublish> waiting = outbox.get(e.getKey());
            if (waiting != null) {
                all.addAll(waiting);
            }
            all.sort(BY_SEQUENCE);
            outbox.put(e.getKey(), new ArrayDeque<>(all));
        }
    }

    /** Fails with TIMEOUT every message whose deadline has passed. */
    void expire(long nowNanos) {
        while (!unsettled.isEmpty()) {
            PendingPublish p = unsettled.peek();
            if (!p.isDone() && nowNanos - p.deadlineNanos() < 0) {
                break;
            }
            unsettled.poll();
            if (!p.isDone()) {
                p.fail(p.timeoutError(requestTimeout));
            }
        }
    }

    /** Fails every message not yet acknowledged, wherever it is. */
    void failAll(BrokerException error) {
        PendingPublish p;
        while ((p = submitted.poll()) != null) {
            p.fail(error);
        }
        for (ArrayDeque<PendingPublish> messages : outbox.values()) {
            messages.forEach(m -> m.fail(error));
        }
        outbox.clear();
        unsettled.forEach(m -> m.fail(error));
        unsettled.clear();
    }
}
