package org.securebroker.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.NackFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.RejectFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.protocol.frame.UnsubscribeFrame;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume path: attaching subscriptions (and re-attaching them after a reconnect), routing
 * DELIVER frames by consumer id, and sending the application's settlements and credit.
 *
 * <p>Settlements are queued by application threads; one flush task per I/O-loop turn sends, per
 * subscription, one ACK frame (split only at the frame size or 4096 offsets), the NACKs, and a
 * CREDIT when enough has accumulated. While a subscription is not attached (reconnecting), its
 * settlements wait and go out with the new consumer id.
 *
 * <p>Thread-safety: {@link #create}, {@link #requestFlush} and {@link #detach} may be called from
 * any thread; the other methods run on the event loop.
 */
final class Consumers {

    private static final Logger LOG = LoggerFactory.getLogger(Consumers.class);

    /** What the consumers need from the client. */
    interface Host {
        /** The open session, or null. I/O thread only. */
        Session currentSession();

        /** Runs {@code task} on the I/O thread; false if the client is shut down. */
        boolean executeOnLoop(Runnable task);

        /** The protocol version of the current or, while reconnecting, the last session. Any thread. */
        int protocolVersion();
    }

    private final Host host;
    private final String clientName;
    private final Optional<Executor> defaultExecutor;
    private final Duration requestTimeout;
    private final ClientIntegrity integrity;
    private final ConcurrentLinkedQueue<SubscriptionImpl> dirty = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();

    // I/O thread
    private final Set<SubscriptionImpl> active = new LinkedHashSet<>();
    private final Map<Integer, SubscriptionImpl> byConsumerId = new HashMap<>();

    Consumers(Host host, String clientName, Optional<Executor> defaultExecutor, Duration requestTimeout,
              ClientIntegrity integrity) {
        this.integrity = integrity;
        this.host = host;
        this.clientName = clientName;
        this.defaultExecutor = defaultExecutor;
        this.requestTimeout = requestTimeout;
    }

    /** A new, not yet attached subscription with its callback executor. */
    SubscriptionImpl create(String queue, String name, SubscribeOptions options, MessageHandler handler) {
        String description = "subscription '" + name + "' on '" + queue + "'";
        Optional<MessageVerifier> verifier = integrity.deliveryVerifier(description);
        Executor executor = options.executor().or(() -> defaultExecutor).orElse(null);
        ExecutorService owned = null;
        if (executor == null) {
            owned = Executors.newSingleThreadExecutor(
                    ClientThreads.daemon(clientName + "-callback-" + queue + "/" + name));
            executor = owned;
        }
        CallbackDispatcher dispatcher = new CallbackDispatcher(description, queue, handler, executor, owned,
                verifier.orElse(null));
        SubscriptionImpl s = new SubscriptionImpl(this, queue, name, options.prefetch(), dispatcher, requestTimeout);
        dispatcher.onRefused(s::refuse);
        return s;
    }

    /** I/O thread: sends the first SUBSCRIBE; {@code done} completes with SUBSCRIBE_OK. */
    void attach(SubscriptionImpl s, CompletableFuture<Void> done) {
        Session session = host.currentSession();
        if (session == null) {
            done.completeExceptionally(new BrokerException(ErrorCode.CONNECTION_LOST,
                    "not connected to the broker (reconnecting); cannot subscribe now"));
            return;
        }
        active.add(s);
        subscribe(session, s, done);
        session.flush();
    }

    /** I/O thread: re-attaches every open subscription on a new connection. */
    void sessionOpened(Session session) {
        for (SubscriptionImpl s : active) {
            subscribe(session, s, null);
        }
        session.flush();
    }

    /** I/O thread: the connection is gone; consumer ids are void. */
    void sessionLost() {
        byConsumerId.clear();
        for (SubscriptionImpl s : active) {
            s.detached();
        }
    }

    private void subscribe(Session session, SubscriptionImpl s, CompletableFuture<Void> firstAttach) {
        s.collectSettlements();
        long credit = s.startCredit();
        CompletableFuture<Frame> reply = new CompletableFuture<>();
        session.call(id -> new SubscribeFrame(id, s.queue(), s.name(), credit), SubscribeOkFrame.class,
                reply, requestTimeout);
        // Completed on the I/O thread by the session.
        reply.whenComplete((frame, error) -> {
            if (error != null) {
                onSubscribeFailed(s, (BrokerException) error, firstAttach);
            } else {
                onSubscribed(session, s, ((SubscribeOkFrame) frame).consumerId(), firstAttach);
            }
        });
    }

    private void onSubscribed(Session session, SubscriptionImpl s, int consumerId,
                              CompletableFuture<Void> firstAttach) {
        if (!s.isOpen() || !active.contains(s) || session != host.currentSession()) {
            // Closed (or given up on) meanwhile: the consumer is not wanted.
            if (!session.isClosed()) {
                session.call(id -> new UnsubscribeFrame(id, consumerId), OkFrame.class,
                        new CompletableFuture<>(), requestTimeout);
                session.flush();
            }
            return;
        }
        s.attached(consumerId);
        byConsumerId.put(consumerId, s);
        if (flush(session, s)) {
            session.flush();
        }
        if (firstAttach != null) {
            firstAttach.complete(null);
        } else {
            LOG.info("Re-attached {} as consumer {}", s, Integer.toUnsignedString(consumerId));
        }
    }

    private void onSubscribeFailed(SubscriptionImpl s, BrokerException error,
                                   CompletableFuture<Void> firstAttach) {
        if (firstAttach != null) {
            active.remove(s);
            s.terminate();
            firstAttach.completeExceptionally(error);
        } else if (!error.is(ErrorCode.CONNECTION_LOST) && active.remove(s)) {
            // The next connection would be refused the same way; the application sees isOpen() == false.
            LOG.warn("The broker refused to re-attach {}; it is closed: {}", s, error.getMessage());
            s.terminate(error);
        }
    }

    /**
     * I/O thread: the broker ended a consumer (its principal lost the right to consume, or the
     * queue was deleted). The subscription closes, with the broker's reason as its failure; a
     * reconnect would be refused the same way, so it is not re-attached.
     */
    void onCancel(CancelFrame frame) {
        SubscriptionImpl s = byConsumerId.remove(frame.consumerId());
        if (s == null) {
            LOG.debug("Ignoring CANCEL of unknown consumer {}", Integer.toUnsignedString(frame.consumerId()));
            return;
        }
        active.remove(s);
        s.detached();
        BrokerException reason = BrokerException.fromWire(frame.code(), "the broker ended " + s + ": " + frame.message());
        LOG.warn("{}", reason.getMessage());
        s.terminate(reason);
    }

    /** I/O thread: hands a delivery to its subscription's callbacks. */
    void onDeliver(DeliverFrame frame) {
        SubscriptionImpl s = byConsumerId.get(frame.consumerId());
        if (s == null || !s.isOpen()) {
            LOG.debug("Dropping delivery of offset {} for unknown or closed consumer {}",
                    Long.toUnsignedString(frame.offset()), Integer.toUnsignedString(frame.consumerId()));
            return;
        }
        s.dispatch(new DeliveredMessage(s, frame));
    }

    /**
     * Any thread: checks that the broker speaks the protocol version {@code what} needs.
     *
     * @throws BrokerException UNSUPPORTED_VERSION if it does not
     */
    void requireVersion(int version, String what) {
        int spoken = host.protocolVersion();
        if (spoken < version) {
            throw new BrokerException(ErrorCode.UNSUPPORTED_VERSION, what + " needs protocol version " + version
                    + ", the broker speaks " + spoken);
        }
    }

    /** Any thread: a subscription has new settlements. */
    void requestFlush(SubscriptionImpl s) {
        dirty.add(s);
        if (flushScheduled.compareAndSet(false, true) && !host.executeOnLoop(this::flushDirty)) {
            flushScheduled.set(false);
        }
    }

    private void flushDirty() {
        flushScheduled.set(false);
        Session session = host.currentSession();
        boolean wrote = false;
        SubscriptionImpl s;
        while ((s = dirty.poll()) != null) {
            wrote |= flush(session, s);
        }
        if (wrote) {
            session.flush();
        }
    }

    /** Sends a subscription's pending ACKs, NACKs and credit; returns whether it wrote. */
    private boolean flush(Session session, SubscriptionImpl s) {
        s.collectSettlements();
        if (session == null || !s.isAttached() || !s.hasWork()) {
            return false;
        }
        int consumerId = s.consumerId();
        List<Settlement> unsent = s.unsent();
        int acks = 0;
        for (int i = 0; i < unsent.size(); i++) {
            Settlement st = unsent.get(i);
            if (st.isAck()) {
                acks++;
            } else if (st.isReject()) {
                if (session.version() >= ProtocolVersion.SUBSCRIPTION_LIFECYCLE) {
                    session.sendOneWay(id -> new RejectFrame(id, consumerId, st.offset(), st.rejectReason()));
                } else {
                    // reconnected to an older broker: the delivery went back to the queue with the old connection
                    LOG.warn("{}: the reject of offset {} is not sent: {} speaks protocol version {}, REJECT needs {};"
                            + " the message will be delivered again", s, Long.toUnsignedString(st.offset()),
                            session.address(), session.version(), ProtocolVersion.SUBSCRIPTION_LIFECYCLE);
                }
            } else {
                session.sendOneWay(id -> new NackFrame(id, consumerId, st.offset(), st.nackDelayMillis()));
            }
        }
        int perFrame = WireSizes.ackOffsetsPerFrame(session.maxFrameSize());
        long[] chunk = null;
        int filled = 0;
        for (int i = 0; i < unsent.size(); i++) {
            Settlement st = unsent.get(i);
            if (!st.isAck()) {
                continue;
            }
            if (chunk == null) {
                chunk = new long[Math.min(perFrame, acks)];
            }
            chunk[filled++] = st.offset();
            if (filled == chunk.length) {
                long[] offsets = chunk;
                session.sendOneWay(id -> new AckFrame(id, consumerId, offsets));
                acks -= filled;
                chunk = null;
                filled = 0;
            }
        }
        unsent.clear();
        long credit = s.takeCredit();
        if (credit > 0) {
            session.sendOneWay(id -> new CreditFrame(id, consumerId, credit));
        }
        return true;
    }

    /**
     * Any thread: detaches a closed subscription after sending its last settlements;
     * {@code done} completes with the broker's OK (or at once when not attached).
     */
    void detach(SubscriptionImpl s, CompletableFuture<Void> done) {
        boolean scheduled = host.executeOnLoop(() -> {
            Session session = host.currentSession();
            boolean wasActive = active.remove(s);
            if (!wasActive || session == null || !s.isAttached()) {
                s.detached();
                s.unsent().clear();
                done.complete(null);
                return;
            }
            flush(session, s);
            s.unsent().clear();
            s.detached();
            byConsumerId.remove(s.consumerId());
            CompletableFuture<Frame> reply = new CompletableFuture<>();
            session.call(id -> new UnsubscribeFrame(id, s.consumerId()), OkFrame.class, reply,
                    requestTimeout);
            session.flush();
            reply.whenComplete((frame, error) -> {
                if (error != null) {
                    done.completeExceptionally(error);
                } else {
                    done.complete(null);
                }
            });
        });
        if (!scheduled) {
            done.complete(null);
        }
    }

    /** I/O thread: closes every subscription without talking to the broker. */
    void terminateAll() {
        for (SubscriptionImpl s : active) {
            s.terminate();
        }
        active.clear();
        byConsumerId.clear();
    }
}
