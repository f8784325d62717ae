package org.securebroker.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.integrity.SignedMessage;

/**
 * A DELIVER frame as the application sees it. The first {@link #ack()}, {@link #nack} or
 * {@link #reject} wins;
 * it is queued for the I/O thread, which sends it with the subscription's current consumer id
 * (also when the message arrived on an earlier connection).
 *
 * <p>Thread-safety: thread-safe.
 */
final class DeliveredMessage implements ReceivedMessage {

    private final SubscriptionImpl subscription;
    private final DeliverFrame frame;
    private final AtomicBoolean settled = new AtomicBoolean();

    DeliveredMessage(SubscriptionImpl subscription, DeliverFrame frame) {
        this.subscription = subscription;
        this.frame = frame;
    }

    @Override
    public String queue() {
        return frame.queue();
    }

    @Override
    public String subscription() {
        return subscription.name();
    }

    @Override
    public long offset() {
        return frame.offset();
    }

    @Override
    public long deliveryCount() {
        return frame.deliveryCount();
    }

    @Override
    public Instant brokerTimestamp() {
        return Instant.ofEpochMilli(frame.brokerTimestampMillis());
    }

    @Override
    public String producerPrincipal() {
        return frame.producerPrincipal();
    }

    @Override
    public String producerId() {
        return frame.producerId();
    }

    @Override
    public long sequence() {
        return frame.sequence();
    }

    @Override
    public Headers headers() {
        return frame.headers();
    }

    @Override
    public byte[] payload() {
        return frame.payload().toByteArray();
    }

    @Override
    public ByteBuffer payloadBuffer() {
        return frame.payload().asReadOnlyByteBuffer();
    }

    @Override
    public Bytes payloadBytes() {
        return frame.payload();
    }

    @Override
    public String payloadUtf8() {
        return new String(frame.payload().toByteArray(), StandardCharsets.UTF_8);
    }

    @Override
    public void ack() {
        if (settled.compareAndSet(false, true)) {
            subscription.settle(new Settlement(frame.offset(), Settlement.ACK));
        }
    }

    @Override
    public void nack(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("nack delay must not be negative, got " + delay);
        }
        if (settled.compareAndSet(false, true)) {
            long millis;
            try {
                millis = delay.toMillis();
            } catch (ArithmeticException e) {
                millis = Long.MAX_VALUE;
            }
            subscription.settle(new Settlement(frame.offset(), millis));
        }
    }

    @Override
    public void reject(String reason) {
        Objects.requireNonNull(reason, "reason");
        checkReason(reason);
        subscription.requireVersion(ProtocolVersion.SUBSCRIPTION_LIFECYCLE, "reject");
        if (settled.compareAndSet(false, true)) {
            subscription.settle(Settlement.reject(frame.offset(), reason));
        }
    }

    private static void checkReason(String reason) {
        int length;
        try {
            length = Utf8.length(reason);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("reject reason " + e.getMessage(), e);
        }
        if (length > ProtocolLimits.MAX_REJECT_REASON_BYTES) {
            throw new IllegalArgumentException("reject reason is " + length + " UTF-8 bytes, at most "
                    + ProtocolLimits.MAX_REJECT_REASON_BYTES + " are allowed");
        }
    }

    @Override
    public boolean isSettled() {
        return settled.get();
    }

    /** Metadata only, never the payload. */
    @Override
    public String toString() {
        return "ReceivedMessage[queue=" + frame.queue() + ", subscription=" + subscription.name()
                + ", offset=" + Long.toUnsignedString(frame.offset()) + ", deliveryCount="
                + frame.deliveryCount() + ", payload=" + frame.payload().length() + " bytes]";
    }

    @Override
    public Bytes producerSignature() {
        return frame.producerSignature();
    }

    @Override
    public Bytes brokerSignature() {
        return frame.brokerSignature();
    }

    @Override
    public SignedMessage signedMessage() {
        return SignedMessage.of(frame);
    }
}
