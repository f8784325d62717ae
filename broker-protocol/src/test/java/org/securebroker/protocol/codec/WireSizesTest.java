package org.securebroker.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.BrowsedMessage;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.SubscriptionInfo;
import org.securebroker.protocol.frame.SubscriptionListFrame;

class WireSizesTest {

    /** The u32 length field of {@code frame} as the codec writes it. */
    private static long encodedFrameSize(Frame frame) {
        ByteBuf out = Unpooled.buffer();
        try {
            FrameCodec.encode(frame, out);
            return out.getUnsignedInt(0);
        } finally {
            out.release();
        }
    }

    private static long messageSize(PublishMessage m) {
        return WireSizes.publishMessageSize(Utf8.length(m.producerId()), m.headers(), m.payload().length())
                + m.producerSignature().length();
    }

    @Test
    void publishSizesAddUpToTheEncodedFrameSize() {
        PublishMessage plain = PublishMessage.of(Bytes.utf8("hello"));
        PublishMessage full = new PublishMessage("p-\u20ac", 7, 1000,
                Headers.builder().add("schl\u00fcssel", "wert").add("k", new byte[300]).build(),
                Bytes.copyOf(new byte[2000]), Bytes.copyOf(new byte[70]));
        PublishFrame frame = new PublishFrame(1, "bestellungen-\u00fc", List.of(plain, full));
        assertThat(WireSizes.publishFrameOverhead(frame.queue()) + messageSize(plain) + messageSize(full))
                .isEqualTo(encodedFrameSize(frame));
    }

    @Test
    void browseResultSizesAddUpToTheEncodedFrameSize() {
        BrowsedMessage plain = new BrowsedMessage(0, 1, "alice", "", 0, Headers.EMPTY, Bytes.utf8("x"), Bytes.EMPTY,
                Bytes.EMPTY);
        BrowsedMessage full = new BrowsedMessage(7, 8, "b\u00f6b", "p-\u20ac", 9,
                Headers.builder().add("schl\u00fcssel", "wert").add("k", new byte[300]).build(),
                Bytes.copyOf(new byte[2000]), Bytes.copyOf(new byte[70]), Bytes.copyOf(new byte[400]));
        long sum = WireSizes.BROWSE_RESULT_OVERHEAD;
        for (BrowsedMessage m : List.of(plain, full)) {
            sum += WireSizes.browsedMessageSize(m.producerPrincipal(), m.producerId(), m.headers(),
                    m.payload().length(), m.producerSignature().length(), m.brokerSignature().length());
        }
        assertThat(sum).isEqualTo(encodedFrameSize(new BrowseResultFrame(1, 9, List.of(plain, full))));
    }

    @Test
    void subscriptionListSizesAddUpToTheEncodedFrameSize() {
        List<SubscriptionInfo> entries = List.of(new SubscriptionInfo("s", 1, 2, 3, 4, 5, 6),
                new SubscriptionInfo("abo-\u00fc".repeat(20), 0, 0, 0, 0, 0, 0));
        long sum = WireSizes.SUBSCRIPTION_LIST_OVERHEAD;
        for (SubscriptionInfo s : entries) {
            sum += WireSizes.subscriptionInfoSize(s.name());
        }
        assertThat(sum).isEqualTo(encodedFrameSize(new SubscriptionListFrame(1, entries, true)));
    }

    @Test
    void ackOffsetsPerFrameFillTheSmallestFrameExactly() {
        int n = WireSizes.ackOffsetsPerFrame(ProtocolLimits.MIN_FRAME_SIZE_LIMIT);
        assertThat(encodedFrameSize(new AckFrame(1, 2, new long[n]))).isLessThanOrEqualTo(ProtocolLimits.MIN_FRAME_SIZE_LIMIT);
        assertThat(encodedFrameSize(new AckFrame(1, 2, new long[n + 1]))).isGreaterThan(ProtocolLimits.MIN_FRAME_SIZE_LIMIT);
    }

    @Test
    void ackOffsetsPerFrameStopAtTheProtocolsMaximum() {
        assertThat(WireSizes.ackOffsetsPerFrame(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE))
                .isEqualTo(ProtocolLimits.MAX_ACK_OFFSETS);
    }

    @Test
    void checkStringRefusesMoreThan65535Utf8Bytes() {
        WireSizes.checkString("header key", "\u00fc".repeat(0xFFFF / 2));
        assertThatThrownBy(() -> WireSizes.checkString("header key", "\u00fc".repeat(0xFFFF / 2 + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("header key is longer than 65535 UTF-8 bytes");
    }

    @Test
    void checkStringRefusesAnUnpairedSurrogateNamingTheField() {
        assertThatThrownBy(() -> WireSizes.checkString("clientId", "a\ud800b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("clientId contains an unpaired");
    }

    @Test
    void checkQueueNameRefusesAnEmptyName() {
        assertThatThrownBy(() -> WireSizes.checkQueueName("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("queue name must not be empty");
    }
}
