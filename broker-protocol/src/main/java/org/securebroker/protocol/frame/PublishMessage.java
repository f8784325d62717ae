package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * One message inside a PUBLISH frame.
 *
 * <pre>
 * u8 flags (reserved, 0) | string producerId | u64 sequence | i64 ttlMillis | headers | bytes payload | bytes producerSignature
 * </pre>
 *
 * <p>{@link #toString()} reports payload and signature lengths only.
 *
 * <p>Thread-safety: immutable.
 *
 * @param producerId producer identity for de-duplication; empty = no de-duplication
 * @param sequence the producer's sequence number (u64 carried in a long)
 * @param ttlMillis time to live; 0 = none; never negative
 * @param headers application headers
 * @param payload the message body
 * @param producerSignature the producer's signature; empty = none
 */
public record PublishMessage(String producerId, long sequence, long ttlMillis, Headers headers,
                             Bytes payload, Bytes producerSignature) {

    public PublishMessage {
        Objects.requireNonNull(producerId, "producerId");
        FieldChecks.nonNegative("ttlMillis", ttlMillis);
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(producerSignature, "producerSignature");
    }

    /** A message without producer id, TTL, headers or signature. */
    public static PublishMessage of(Bytes payload) {
        return new PublishMessage("", 0, 0, Headers.EMPTY, payload, Bytes.EMPTY);
    }
}
