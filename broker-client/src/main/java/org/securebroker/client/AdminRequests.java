package org.securebroker.client;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.DeleteSubscriptionFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.ListQueuesFrame;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PurgeOkFrame;
import org.securebroker.protocol.frame.PurgeQueueFrame;
import org.securebroker.protocol.frame.QueueListFrame;
import org.securebroker.protocol.frame.ReloadFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscriptionListFrame;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.MessageVerifier;

/**
 * The administrative requests: managing queues and reloading the broker (protocol version 1),
 * and the subscription lifecycle of protocol version 2 (listing and deleting subscriptions,
 * purging, browsing, seeking). Each is one request frame and one answer on the current
 * session. A request that needs a newer version than the broker speaks fails here with
 * UNSUPPORTED_VERSION instead of being sent. Browsed messages are verified like deliveries
 * before any of a page is returned.
 *
 * <p>Thread-safety: thread-safe (no state of its own). Every method blocks until its answer, so
 * none is called on the I/O thread.
 */
final class AdminRequests {

    /** What the requests need from the client. */
    interface Host {
        /** The open session, or null. I/O thread only. */
        Session currentSession();

        /** Runs {@code task} on the I/O thread; false if the client is shut down. */
        boolean executeOnLoop(Runnable task);

        /** Throws the reason the client cannot be used (closed, or given up reconnecting), if any. Any thread. */
        void checkUsable();

        /** The frame size negotiated by the current or, while reconnecting, the last session. Any thread. */
        int maxFrameSize();
    }

    private final Host host;
    private final Duration requestTimeout;
    private final ClientIntegrity integrity;

    AdminRequests(Host host, Duration requestTimeout, ClientIntegrity integrity) {
        this.host = host;
        this.requestTimeout = requestTimeout;
        this.integrity = integrity;
    }

    // ---------------------------------------------------------------- queues

    void createQueue(QueueSpec spec) {
        Objects.requireNonNull(spec, "spec");
        request(id -> new CreateQueueFrame(id, spec.name(), spec.maxDeliveries(), spec.deadLetterQueue(),
                spec.defaultTtl().toMillis(), spec.requireProducerSignatures()), OkFrame.class, "CREATE_QUEUE '" + spec.name() + "'");
    }

    void deleteQueue(String queue) {
        WireSizes.checkQueueName(queue);
        request(id -> new DeleteQueueFrame(id, queue), OkFrame.class, "DELETE_QUEUE '" + queue + "'");
    }

    List<QueueInfo> listQueues() {
        QueueListFrame list = (QueueListFrame) request(ListQueuesFrame::new, QueueListFrame.class, "LIST_QUEUES");
        List<QueueInfo> result = new ArrayList<>(list.queues().size());
        for (org.securebroker.protocol.frame.QueueInfo q : list.queues()) {
            result.add(new QueueInfo(q.name(), q.messages(), q.subscriptions(), q.maxDeliveries(),
                    q.deadLetterQueue(), Duration.ofMillis(q.defaultTtlMillis())));
        }
        return List.copyOf(result);
    }

    void reload() {
        request(ReloadFrame::new, OkFrame.class, "RELOAD");
    }

    // ---------------------------------------------------------------- subscription lifecycle

    /**
     * Every subscription of the queue, by name: the broker answers in pages that fit one frame,
     * each asked for after the last name of the one before. A page announcing more that does not
     * move past the name asked after ends the listing with PROTOCOL_ERROR rather than asking
     * forever.
     */
    List<SubscriptionInfo> listSubscriptions(String queue) {
        WireSizes.checkQueueName(queue);
        List<SubscriptionInfo> result = new ArrayList<>();
        String after = "";
        while (true) {
            String from = after;
            SubscriptionListFrame page = (SubscriptionListFrame) request(id -> new ListSubscriptionsFrame(id, queue,
                    from), SubscriptionListFrame.class, "LIST_SUBSCRIPTIONS of '" + queue + "'"
                    + (from.isEmpty() ? "" : " after '" + from + "'"), ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
            List<org.securebroker.protocol.frame.SubscriptionInfo> entries = page.subscriptions();
            for (org.securebroker.protocol.frame.SubscriptionInfo s : entries) {
                result.add(new SubscriptionInfo(s.name(), s.consumers(), s.pending(), s.inFlight(), s.cursor(),
                        epochMillis(s.lastActiveMillis()), epochMillis(s.expiresAtMillis())));
            }
            if (!page.more()) {
                return List.copyOf(result);
            }
            after = entries.isEmpty() ? from : entries.get(entries.size() - 1).name();
            if (after.compareTo(from) <= 0) {
                throw new BrokerException(ErrorCode.PROTOCOL_ERROR, "LIST_SUBSCRIPTIONS of '" + queue + "': the broker "
                        + "announced more subscriptions after '" + from + "' but its page does not move past it");
            }
        }
    }

    private static Optional<Instant> epochMillis(long millis) {
        return millis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
    }

    void deleteSubscription(String queue, String subscription) {
        WireSizes.checkQueueName(queue);
        WireSizes.checkString("subscription", subscription);
        request(id -> new DeleteSubscriptionFrame(id, queue, subscription), OkFrame.class,
                "DELETE_SUBSCRIPTION '" + subscription + "' of '" + queue + "'", ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
    }

    long purgeQueue(String queue) {
        WireSizes.checkQueueName(queue);
        PurgeOkFrame ok = (PurgeOkFrame) request(id -> new PurgeQueueFrame(id, queue), PurgeOkFrame.class,
                "PURGE_QUEUE '" + queue + "'", ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
        return ok.purged();
    }

    BrowseResult browse(String queue, long fromOffset, int maxMessages) {
        WireSizes.checkQueueName(queue);
        if (fromOffset < 0) {
            throw new IllegalArgumentException("fromOffset must not be negative, got " + fromOffset);
        }
        if (maxMessages < 1 || maxMessages > ProtocolLimits.MAX_BROWSE_MESSAGES) {
            throw new IllegalArgumentException("maxMessages " + maxMessages + " is outside [1, "
                    + ProtocolLimits.MAX_BROWSE_MESSAGES + "]");
        }
        String what = "BROWSE of '" + queue + "' from offset " + fromOffset;
        Optional<MessageVerifier> verifier = integrity.deliveryVerifier("browsing '" + queue + "'");
        // all the answer's frame can hold for messages; the broker keeps the answer within the frame
        long maxBytes = Math.max(1, host.maxFrameSize() - WireSizes.BROWSE_RESULT_OVERHEAD);
        BrowseResultFrame page = (BrowseResultFrame) request(id -> new BrowseFrame(id, queue, fromOffset,
                maxMessages, maxBytes), BrowseResultFrame.class, what, ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
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

    long seek(String queue, String subscription, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, got " + offset);
        }
        return seek(queue, subscription, SeekFrame.Kind.OFFSET, offset, "offset " + offset);
    }

    long seekToTime(String queue, String subscription, Instant time) {
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

    /** A request of protocol version 1, which every broker speaks. */
    private Frame request(IntFunction<Frame> frame, Class<? extends Frame> expectedReply, String what) {
        return request(frame, expectedReply, what, ProtocolVersion.MIN);
    }

    /** Sends a request once connected to a broker that speaks {@code version}, and waits for the answer. */
    private Frame request(IntFunction<Frame> frame, Class<? extends Frame> expectedReply, String what, int version) {
        host.checkUsable();
        CompletableFuture<Frame> reply = new CompletableFuture<>();
        boolean scheduled = host.executeOnLoop(() -> {
            Session s = host.currentSession();
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
            s.call(frame, expectedReply, reply, requestTimeout);
            s.flush();
        });
        if (!scheduled) {
            throw new BrokerException(ErrorCode.CLIENT_CLOSED, "client closed");
        }
        return Blocking.await(reply, requestTimeout, what);
    }
}
