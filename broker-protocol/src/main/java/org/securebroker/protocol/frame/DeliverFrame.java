package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * DELIVER (0x16, server to client): pushes one message to a consumer, consuming one unit of
 * its credit. Always has correlation id 0; the codec rejects any other value.
 *
 * <pre>
 * u32 consumerId | string queue | u64 offset | u32 deliveryCount | i64 brokerTimestampMillis
 * | string producerPrincipal | string producerId | u64 sequence | headers | bytes payload
 * | bytes producerSignature | bytes brokerSignature
 * </pre>
 *
 * <p>{@link #toString()} reports payload and signature lengths only.
 *
 * <p>Thread-safety: immutable.
 *
 * @param consumerId the consumer this delivery is for (u32 bit pattern in an int)
 * @param queue the queue the message was read from
 * @param offset the message's offset in the queue (u64 carried in a long); ACK/NACK name it
 * @param deliveryCount 1 for the first delivery, incremented on each redelivery (u32, at least 1)
 * @param brokerTimestampMillis when the broker stored the message, epoch millis
 * @param producerPrincipal the authenticated principal that published the message
 * @param producerId the producer id given at publish; empty if none
 * @param sequence the producer's sequence number (u64 carried in a long)
 * @param headers application headers as published
 * @param payload the message body
 * @param producerSignature the producer's signature; empty = none
 * @param brokerSignature the broker's signature; empty in version 1 until signing is enabled
 */
public record DeliverFrame(int consumerId, String queue, long offset, long deliveryCount,
                           long brokerTimestampMillis, String producerPrincipal,
                           String producerId, long sequence, Headers headers, Bytes payload,
                           Bytes producerSignature, Bytes brokerSignature) implements Frame {

    public DeliverFrame {
        Objects.requireNonNull(queue, "queue");
        FieldChecks.u32("deliveryCount", deliveryCount);
        if (deliveryCount == 0) {
            throw new IllegalArgumentException("deliveryCount must be at least 1");
        }
        Objects.requireNonNull(producerPrincipal, "producerPrincipal");
        Objects.requireNonNull(producerId, "producerId");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(producerSignature, "producerSignature");
        Objects.requireNonNull(brokerSignature, "brokerSignature");
    }

    @Override
    public FrameType type() {
        return FrameType.DELIVER;
    }

    /** Always 0: DELIVER is server-initiated. */
    @Override
    public int correlationId() {
        return 0;
    }
}
