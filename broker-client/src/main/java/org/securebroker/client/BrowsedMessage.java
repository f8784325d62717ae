package org.securebroker.client;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.integrity.SignedMessage;

/**
 * A message read by {@link BrokerClient#browse}, without consuming it. The client has verified
 * its broker signature against the pinned broker keys, exactly as a delivery's, unless
 * verification was turned off. {@link #toString()} never shows the payload.
 *
 * <p>Thread-safety: immutable.
 *
 * @param queue the queue it was read from
 * @param offset its offset in the queue (unsigned 64-bit value carried in a long)
 * @param brokerTimestamp when the broker stored it
 * @param producerPrincipal the authenticated principal that published it
 * @param producerId the producer id given at publish; empty if none
 * @param sequence the producer's sequence number (unsigned 64-bit value carried in a long)
 * @param headers the application headers as published
 * @param payload the body
 * @param producerSignature the producer's own signature; empty if it signed none
 * @param brokerSignature the broker's seal
 */
public record BrowsedMessage(String queue, long offset, Instant brokerTimestamp, String producerPrincipal,
                             String producerId, long sequence, Headers headers, Bytes payload,
                             Bytes producerSignature, Bytes brokerSignature) {

    public BrowsedMessage {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(brokerTimestamp, "brokerTimestamp");
        Objects.requireNonNull(producerPrincipal, "producerPrincipal");
        Objects.requireNonNull(producerId, "producerId");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(producerSignature, "producerSignature");
        Objects.requireNonNull(brokerSignature, "brokerSignature");
    }

    /** The message a BROWSE_RESULT entry carries, read from {@code queue}. */
    static BrowsedMessage of(String queue, org.securebroker.protocol.frame.BrowsedMessage m) {
        return new BrowsedMessage(queue, m.offset(), Instant.ofEpochMilli(m.brokerTimestampMillis()),
                m.producerPrincipal(), m.producerId(), m.sequence(), m.headers(), m.payload(), m.producerSignature(),
                m.brokerSignature());
    }

    /** The payload decoded as UTF-8. */
    public String payloadUtf8() {
        return new String(payload.toByteArray(), StandardCharsets.UTF_8);
    }

    /**
     * Everything the broker's signature covers, with the signatures: what to keep or export to
     * verify the message again later ({@code broker verify message}).
     */
    public SignedMessage signedMessage() {
        return new SignedMessage(queue, offset, brokerTimestamp.toEpochMilli(), producerPrincipal, producerId,
                sequence, headers, payload, producerSignature, brokerSignature);
    }
}
