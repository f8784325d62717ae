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
 * <p>Thread-safety: immutable apart from the settled state; {@link #ack()} and {@link #nack}
 * may be called from any thread, and only the first settlement counts.
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

    /** Whether {@link #ack()} or {@link #nack} has been called. */
    boolean isSettled();
}
