package org.securebroker.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.protocol.ErrorCode;

/**
 * A subscription and its flow-control state.
 *
 * <p>Credit accounting (all on the I/O thread): {@code held} counts messages delivered and not
 * yet settled by the application. Each settlement returns one unit of credit, coalesced until
 * {@code max(1, prefetch / 4)} units have accumulated, so the broker never has more than
 * {@code prefetch} messages out to the application. On a reconnect the new consumer starts with
 * {@code prefetch - held} credit (at least 1); if that minimum overshoots, the overshoot is kept
 * back from the next settlements ({@code creditDebt}).
 *
 * <p>Thread-safety: thread-safe. Settlements arrive from any thread through a concurrent queue;
 * the fields marked "I/O thread" are confined to the event loop.
 */
final class SubscriptionImpl implements Subscription {

    private final Consumers consumers;
    private final String queue;
    private final String name;
    private final int prefetch;
    private final int creditThreshold;
    private final CallbackDispatcher dispatcher;
    private final Duration requestTimeout;
    private final AtomicBoolean open = new AtomicBoolean(true);
    private volatile BrokerException failure;
    private final ConcurrentLinkedQueue<Settlement> settlements = new ConcurrentLinkedQueue<>();

    // I/O thread
    private int consumerId;
    private boolean attached;
    private int held;
    private int creditPending;
    private int creditDebt;
    private final List<Settlement> unsent = new ArrayList<>();

    SubscriptionImpl(Consumers consumers, String queue, String name, int prefetch,
                     CallbackDispatcher dispatcher, Duration requestTimeout) {
        this.consumers = consumers;
        this.queue = queue;
        this.name = name;
        this.prefetch = prefetch;
        this.creditThreshold = Math.max(1, prefetch / 4);
        this.dispatcher = dispatcher;
        this.requestTimeout = requestTimeout;
    }

    @Override
    public String queue() {
        return queue;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int prefetch() {
        return prefetch;
    }

    @Override
    public boolean isOpen() {
        return open.get();
    }

    @Override
    public void close() {
        if (!open.compareAndSet(true, false)) {
            return;
        }
        dispatcher.stop();
        CompletableFuture<Void> detached = new CompletableFuture<>();
        consumers.detach(this, detached);
        try {
            Blocking.await(detached, requestTimeout, "UNSUBSCRIBE of " + this);
        } catch (BrokerException e) {
            if (!e.is(ErrorCode.CONNECTION_LOST) && !e.is(ErrorCode.CLIENT_CLOSED)) {
                throw e;
            }
            // Without a connection the broker has already dropped the consumer.
        }
    }

    /** Closes without talking to the broker (client closed or subscription refused). */
    void terminate() {
        open.set(false);
        dispatcher.stop();
    }

    /** Closes without talking to the broker, which ended the subscription for {@code reason}. */
    void terminate(BrokerException reason) {
        failure = reason;
        terminate();
    }

    /**
     * A delivery failed verification: the subscription ends with {@code reason}, and is detached
     * from the broker in the background (its unsettled messages go back to the queue).
     */
    void refuse(BrokerException reason) {
        failure = reason;
        if (open.compareAndSet(true, false)) {
            dispatcher.stop();
            consumers.detach(this, new CompletableFuture<>());
        }
    }

    @Override
    public Optional<BrokerException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Any thread: throws UNSUPPORTED_VERSION unless the broker speaks {@code version}. */
    void requireVersion(int version, String what) {
        consumers.requireVersion(version, what);
    }

    void settle(Settlement settlement) {
        if (!open.get()) {
            return;
        }
        settlements.add(settlement);
        consumers.requestFlush(this);
    }

    void dispatch(DeliveredMessage message) {
        held++;
        dispatcher.submit(message);
    }

    /** I/O thread: takes the application's settlements, counting the credit they return. */
    void collectSettlements() {
        Settlement s;
        while ((s = settlements.poll()) != null) {
            held--;
            if (creditDebt > 0) {
                creditDebt--;
            } else {
                creditPending++;
            }
            unsent.add(s);
        }
    }

    /** I/O thread: the credit for a new consumer (after {@link #collectSettlements()}). */
    long startCredit() {
        int grantable = prefetch - held;
        int initial = Math.max(1, grantable);
        creditDebt = initial - grantable;
        creditPending = 0;
        return initial;
    }

    /** I/O thread: settlements collected but not yet sent. */
    List<Settlement> unsent() {
        return unsent;
    }

    /** I/O thread: credit to send now (resetting it), or 0 while below the threshold. */
    long takeCredit() {
        if (creditPending < creditThreshold) {
            return 0;
        }
        long credit = creditPending;
        creditPending = 0;
        return credit;
    }

    boolean hasWork() {
        return !unsent.isEmpty() || creditPending >= creditThreshold;
    }

    int consumerId() {
        return consumerId;
    }

    boolean isAttached() {
        return attached;
    }

    void attached(int consumerId) {
        this.consumerId = consumerId;
        this.attached = true;
    }

    void detached() {
        this.attached = false;
    }

    @Override
    public String toString() {
        return "subscription '" + name + "' on '" + queue + "'";
    }
}
