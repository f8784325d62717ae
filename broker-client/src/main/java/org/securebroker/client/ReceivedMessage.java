package org.securebroker.client;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.integrity.SignedMessage;

/**
 * A message delivered to a subscription, with the means to settle it.
 *
 * <p>Delivery is at-least-once: a message not acknowledged (because the application nacked it,
 * the connection was lost, or the subscription closed) is delivered again, with a higher
 * {@link #deliveryCount()}. Applications that must not process a message twice de-duplicate on
 * {@link #producerId()} and {@link #sequence()}.
 *
 * <p>Thread-safety: immutable apart from the settled state; {@link #ack()}, {@link #nack} and
 * {@link #reject} may be called from any thread, and only the first settlement counts.
 */
public interface ReceivedMessage {

    /** The queue the message was read from. */
    String queue();

    /** The subscription it was delivered to. */
    String subscription();

    /** The message's offset in the queue (an unsigned 64-bit value carried in a long). */
    long offset();

    /** 1 for the first delivery, incremented on each redelivery. */
    long deliveryCount();

    /** When the broker stored the message. */
    Instant brokerTimestamp();

    /** The authenticated principal that published the message. */
    String producerPrincipal();

    /** The producer id given at publish; empty if none. */
    String producerId();

    /** The producer's sequence number (an unsigned 64-bit value carried in a long). */
    long sequence();

    /** The application headers as published. */
    Headers headers();

    /** A copy of the payload. */
    byte[] payload();

    /** A read-only view of the payload, without copying. */
    ByteBuffer payloadBuffer();

    /** The payload as an immutable byte sequence, without copying. */
    Bytes payloadBytes();

    /** The payload decoded as UTF-8. */
    String payloadUtf8();

    /**
     * The producer's own signature ({@link org.securebroker.protocol.integrity.ProducerSignature});
     * empty if it signed none. Check it against the producer's registered key to verify the
     * producer end to end.
     */
    Bytes producerSignature();

    /**
     * The broker's signature ({@link org.securebroker.protocol.integrity.BrokerSeal}). The client
     * has verified it before the handler is called, unless verification was turned off.
     */
    Bytes brokerSignature();

    /**
     * Everything the broker's signature covers, with the signatures: what to keep or export to
     * verify the message again later ({@code broker verify message}).
     */
    SignedMessage signedMessage();

    /**
     * Acknowledges the message: the broker will not deliver it to this subscription again.
     * Returns one unit of credit. Never blocks; a second settlement of the same delivery, or a
     * settlement after the subscription was closed, is ignored.
     */
    void ack();

    /**
     * Rejects the message: the broker delivers it again after {@code delay} (or moves it to the
     * dead-letter queue once the queue's maximum delivery count is reached). Returns one unit
     * of credit. Never blocks; a second settlement of the same delivery is ignored.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    void nack(Duration delay);

    /** {@link #nack(Duration)} without delay. */
    default void nack() {
        nack(Duration.ZERO);
    }

    /**
     * Rejects the message for good (a message this application will never be able to process):
     * the broker moves it straight to the queue's dead-letter queue, without redelivering it,
     * recording {@code reason} in the dead letter's header {@code x-rejected-reason} and this
     * client's principal in {@code x-rejected-by}. Returns one unit of credit. Never blocks; a
     * second settlement of the same delivery is ignored.
     *
     * <p>The broker refuses the reject when the queue has no dead-letter queue (nothing is
     * dropped); the refusal is logged, and the message is delivered again once this consumer
     * detaches or its delivery times out. Needs protocol version 2.
     *
     * @throws IllegalArgumentException if {@code reason} is longer than 1024 UTF-8 bytes or not
     *     valid text
     * @throws BrokerException {@code UNSUPPORTED_VERSION} if the broker speaks protocol version
     *     1; the message is then not settled
     */
    void reject(String reason);

    /** Whether {@link #ack()}, {@link #nack} or {@link #reject} has been called. */
    boolean isSettled();
}
