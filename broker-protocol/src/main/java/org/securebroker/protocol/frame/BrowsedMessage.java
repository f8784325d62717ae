package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * One message inside BROWSE_RESULT (protocol version 2): the fields of DELIVER that describe the
 * message, with the same meaning, so its seal verifies exactly as a delivery's.
 *
 * <pre>
 * u64 offset | i64 brokerTimestampMillis | string producerPrincipal | string producerId
 * | u64 sequence | headers | bytes payload | bytes producerSignature | bytes brokerSignature
 * </pre>
 *
 * <p>{@link #toString()} reports payload and signature lengths only.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset the message's offset in the queue (u64 carried in a long)
 * @param brokerTimestampMillis when the broker stored the message, epoch millis
 * @param producerPrincipal the authenticated principal that published the message
 * @param producerId the producer id given at publish; empty if none
 * @param sequence the producer's sequence number (u64 carried in a long)
 * @param headers application headers as published
 * @param payload the message body
 * @param producerSignature the producer's signature; empty = none
 * @param brokerSignature the broker's seal, as in DELIVER
 */
public record BrowsedMessage(long offset, long brokerTimestampMillis, String producerPrincipal, String producerId,
                             long sequence, Headers headers, Bytes payload, Bytes producerSignature,
                             Bytes brokerSignature) {

    public BrowsedMessage {
        Objects.requireNonNull(producerPrincipal, "producerPrincipal");
        Objects.requireNonNull(producerId, "producerId");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(producerSignature, "producerSignature");
        Objects.requireNonNull(brokerSignature, "brokerSignature");
    }
}
