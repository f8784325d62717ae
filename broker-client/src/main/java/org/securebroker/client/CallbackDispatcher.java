package org.securebroker.client;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one subscription's handler on its executor, one message at a time, in delivery order,
 * whatever the executor's own threading.
 *
 * <p>Messages wait in a queue; at most one drain task is submitted to the executor at a time,
 * and it hands back the thread after {@value #MESSAGES_PER_TASK} messages so that a shared
 * executor stays fair. A handler that throws is logged (without payload) and its message is
 * nacked without delay unless it was already settled.
 *
 * <p>With a verifier, each message's broker signature is checked before the handler sees it; a
 * message that fails is never handed over, and the dispatcher stops and reports the failure
 * (the subscription closes, so the broker delivers the message elsewhere or again later).
 *
 * <p>Thread-safety: {@link #submit} is called by the I/O thread, {@link #stop} by any thread.
 */
final class CallbackDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(CallbackDispatcher.class);
    private static final int MESSAGES_PER_TASK = 64;

    private final String description;
    private final MessageHandler handler;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final ConcurrentLinkedQueue<DeliveredMessage> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final MessageVerifier verifier;
    private final String subscribedQueue;
    private volatile java.util.function.Consumer<BrokerException> onRefused = e -> { };
    private volatile boolean stopped;

    /**
     * @param executor where the handler runs
     * @param ownedExecutor {@code executor} if this dispatcher created it and shuts it down on
     *     {@link #stop()}, else null
     */
    CallbackDispatcher(String description, String queue, MessageHandler handler, Executor executor,
                       ExecutorService ownedExecutor, MessageVerifier verifier) {
        this.subscribedQueue = queue;
        this.verifier = verifier;
        this.description = description;
        this.handler = handler;
        this.executor = executor;
        this.ownedExecutor = ownedExecutor;
    }

    void submit(DeliveredMessage message) {
        if (stopped) {
            return;
        }
        queue.add(message);
        schedule();
    }

    private void schedule() {
        if (stopped || !scheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            scheduled.set(false);
            if (stopped) {
                return;
            }
            LOG.error("The callback executor of {} rejected work; nacking {} queued messages",
                    description, queue.size(), e);
            DeliveredMessage m;
            while ((m = queue.poll()) != null) {
                m.nack(Duration.ZERO);
            }
        }
    }

    private void drain() {
        try {
            DeliveredMessage m;
            for (int i = 0; i < MESSAGES_PER_TASK && !stopped && (m = queue.poll()) != null; i++) {
                invoke(m);
            }
        } finally {
            scheduled.set(false);
        }
        if (!queue.isEmpty()) {
            schedule();
        }
    }

    /** Told when a message fails verification (once; the dispatcher has stopped by then). */
    void onRefused(java.util.function.Consumer<BrokerException> listener) {
        this.onRefused = listener;
    }

    private boolean verified(DeliveredMessage m) {
        if (verifier == null) {
            return true;
        }
        try {
            if (!subscribedQueue.equals(m.queue())) {
                // a genuine message of another queue, injected into this subscription
                throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE, "it is signed as a message of "
                        + "queue '" + IntegrityException.printable(m.queue()) + "', not of this subscription's queue");
            }
            verifier.verify(m.signedMessage());
            return true;
        } catch (IntegrityException e) {
            BrokerException failure = new BrokerException(ErrorCode.VERIFICATION_FAILED, description + ": the message at "
                    + "offset " + Long.toUnsignedString(m.offset()) + " failed verification (" + e.reason() + "): "
                    + e.getMessage() + "; it was not handed to the application and the subscription is closed");
            LOG.error("{}", failure.getMessage());
            stop();
            onRefused.accept(failure);
            return false;
        }
    }

    private void invoke(DeliveredMessage m) {
        if (!verified(m)) {
            return;
        }
        try {
            handler.onMessage(m);
        } catch (Throwable e) {
            LOG.warn("Message handler of {} failed on offset {} (delivery {}); nacking the message",
                    description, Long.toUnsignedString(m.offset()), m.deliveryCount(), e);
            if (!m.isSettled()) {
                m.nack(Duration.ZERO);
            }
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
        }
    }

    /** No handler call starts after this returns (one already running completes). */
    void stop() {
        stopped = true;
        queue.clear();
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
    }
}
