package org.securebroker.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.integrity.ProducerSignature;

/**
 * One message from {@code send}/{@code sendAsync} until its outcome is known.
 *
 * <p>Its sequence number is assigned by the I/O thread when it first takes the message, and
 * stays the same when the message is resent after a reconnect. The outcome is decided once
 * (the first of acknowledgement, refusal, timeout or close wins); deciding it releases the
 * message's slot in the send buffer. The application's future is completed on the client's
 * completion executor; {@link #await} waits on an internal future that does not depend on that
 * executor, so a blocked completion thread cannot stall {@code send()}.
 *
 * <p>Thread-safety: the outcome methods are thread-safe; {@code sequence} is confined to the
 * event loop.
 */
final class PendingPublish {

    private final String queue;
    private final Message message;
    private final long encodedSize;
    private final long deadlineNanos;
    private final Semaphore permits;
    private final Executor completions;
    private final AtomicBoolean done = new AtomicBoolean();
    private final CompletableFuture<SendReceipt> outcome = new CompletableFuture<>();
    private final CompletableFuture<SendReceipt> result = new CompletableFuture<>();
    private final ClientIntegrity integrity;
    private long sequence;
    /** The producer signature, made once for the sequence number (event loop only). */
    private Bytes signature;

    PendingPublish(String queue, Message message, long encodedSize, long deadlineNanos,
                   Semaphore permits, Executor completions, ClientIntegrity integrity) {
        this.integrity = integrity;
        this.queue = queue;
        this.message = message;
        this.encodedSize = encodedSize;
        this.deadlineNanos = deadlineNanos;
        this.permits = permits;
        this.completions = completions;
    }

    String queue() {
        return queue;
    }

    long encodedSize() {
        return encodedSize;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    long sequence() {
        return sequence;
    }

    void sequence(long sequence) {
        this.sequence = sequence;
    }

    /** The future handed to the application. */
    CompletableFuture<SendReceipt> result() {
        return result;
    }

    boolean isDone() {
        return done.get();
    }

    PublishMessage toWire(String producerId) {
        long ttl = message.ttl().map(Duration::toMillis).orElse(0L);
        return new PublishMessage(producerId, sequence, ttl, message.headers(),
                message.payloadBytes(), signature(producerId));
    }

    private Bytes signature(String producerId) {
        if (signature == null) {
            signature = integrity.producerKey()
                    .map(k -> ProducerSignature.sign(k, queue, producerId, sequence, message.headers(),
                            message.payloadBytes()))
                    .orElse(Bytes.EMPTY);
        }
        return signature;
    }

    /**
     * Records the broker's acknowledgement, unless the outcome is already decided; a receipt
     * that does not verify against the pinned broker keys fails the send instead.
     */
    void complete(SendReceipt receipt) {
        BrokerException refused = integrity.checkReceipt(queue, receipt.offset(), receipt.receipt(),
                message.headers(), message.payloadBytes(), signature == null ? Bytes.EMPTY : signature);
        if (refused != null) {
            fail(refused);
            return;
        }
        if (done.compareAndSet(false, true)) {
            permits.release();
            outcome.complete(receipt);
            ClientThreads.run(completions, () -> result.complete(receipt));
        }
    }

    /** Records a failure, unless the outcome is already decided. */
    void fail(BrokerException error) {
        if (done.compareAndSet(false, true)) {
            permits.release();
            outcome.completeExceptionally(error);
            ClientThreads.run(completions, () -> result.completeExceptionally(error));
        }
    }

    /**
     * Waits for the outcome until the deadline (plus {@code graceNanos} for the timeout sweep to
     * run), then gives up with TIMEOUT.
     */
    SendReceipt await(long graceNanos, Duration requestTimeout) {
        long wait = deadlineNanos - System.nanoTime() + graceNanos;
        try {
            return outcome.get(Math.max(0, wait), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            fail(timeoutError(requestTimeout));
            return Blocking.join(outcome);
        } catch (ExecutionException e) {
            throw Blocking.rethrow(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException(ErrorCode.TIMEOUT, "interrupted while waiting for the broker to"
                    + " acknowledge a message to '" + queue + "'; it may still be stored", e);
        }
    }

    BrokerException timeoutError(Duration requestTimeout) {
        return new BrokerException(ErrorCode.TIMEOUT, "no acknowledgement for the message to '"
                + queue + "' within " + requestTimeout.toMillis()
                + " ms; it may still be stored and delivered later");
    }
}
