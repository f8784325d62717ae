package org.securebroker.protocol.integrity;

import java.util.Objects;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Headers;

/**
 * Everything the broker's signature on a stored message covers, with the signature itself:
 * what a consumer receives and what {@code broker verify message} reads from an export.
 *
 * <p>Thread-safety: immutable.
 *
 * @param queue the queue the message is stored in
 * @param offset its offset there (u64 carried in a long)
 * @param brokerTimestampMillis when the broker accepted it
 * @param producerPrincipal the authenticated principal that published it
 * @param producerId the producer id given at publish; empty if none
 * @param sequence the producer's sequence number
 * @param headers the application headers
 * @param payload the body
 * @param producerSignature the producer's signature ({@link ProducerSignature}); empty = none
 * @param brokerSignature the broker's seal ({@link BrokerSeal}); empty = unsigned
 */
public record SignedMessage(String queue, long offset, long brokerTimestampMillis, String producerPrincipal,
                            String producerId, long sequence, Headers headers, Bytes payload,
                            Bytes producerSignature, Bytes brokerSignature) {

    public SignedMessage {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(producerPrincipal, "producerPrincipal");
        Objects.requireNonNull(producerId, "producerId");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(producerSignature, "producerSignature");
        Objects.requireNonNull(brokerSignature, "brokerSignature");
    }

    /** The message a DELIVER frame carries. */
    public static SignedMessage of(DeliverFrame f) {
        return new SignedMessage(f.queue(), f.offset(), f.brokerTimestampMillis(), f.producerPrincipal(),
                f.producerId(), f.sequence(), f.headers(), f.payload(), f.producerSignature(), f.brokerSignature());
    }

    /** {@link Canonical#contentDigest} of this message. */
    public byte[] contentDigest() {
        return Canonical.contentDigest(headers, Canonical.payloadDigest(payload), producerSignature);
    }

    /** The Merkle leaf the broker's signature covers. */
    public byte[] leaf() {
        return Canonical.leaf(queue, offset, brokerTimestampMillis, producerPrincipal, producerId, sequence,
                contentDigest());
    }
}
