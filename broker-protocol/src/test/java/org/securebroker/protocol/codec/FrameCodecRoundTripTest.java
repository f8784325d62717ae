package org.securebroker.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.protocol.codec.SampleFrames.hex;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.ListQueuesFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.BrowsedMessage;
import org.securebroker.protocol.frame.RejectFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SubscriptionInfo;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.SubscriptionListFrame;

class FrameCodecRoundTripTest {

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void shouldDecodeWhatItEncodesForEveryFrameType(FrameType type) {
        Frame frame = SampleFrames.sample(type);
        assertThat(frame.type()).isEqualTo(type);

        byte[] encoded = SampleFrames.encode(frame);
        Frame decoded = SampleFrames.decodeWithPrefix(encoded);

        assertThat(decoded).isEqualTo(frame).hasSameHashCodeAs(frame);
        assertThat(decoded.correlationId()).isEqualTo(frame.correlationId());
    }

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void shouldWriteTheLengthOfWhatFollowsTheLengthField(FrameType type) {
        byte[] encoded = SampleFrames.encode(SampleFrames.sample(type));
        ByteBuf buf = Unpooled.wrappedBuffer(encoded);
        assertThat(buf.readUnsignedInt()).isEqualTo(encoded.length - 4L);
        assertThat(buf.readUnsignedByte()).isEqualTo((short) type.code());
        assertThat(buf.readByte()).as("flags").isZero();
    }

    @Test
    void shouldEncodePingExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new PingFrame(7, 0x0102030405060708L)))
                .isEqualTo(hex("0000000E 32 00 00000007 0102030405060708"));
    }

    @Test
    void shouldEncodeHelloExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new HelloFrame(1, 1, 1, 65_536, "c")))
                .isEqualTo(hex("00000015 01 00 00000001 5342524B 0001 0001 00010000 0001 63"));
    }

    @Test
    void shouldEncodeErrorExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new ErrorFrame(5, ErrorCode.QUEUE_NOT_FOUND, "no")))
                .isEqualTo(hex("0000000C 31 00 00000005 001E 0002 6E6F"));
    }

    @Test
    void shouldEncodeCancelExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new CancelFrame(7, ErrorCode.NOT_AUTHORIZED, "no")))
                .isEqualTo(hex("00000010 19 00 00000000 00000007 0014 0002 6E6F"));
    }

    @Test
    void shouldEncodeSeekExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new SeekFrame(3, "q", "s", SeekFrame.Kind.TIME, 0x0102030405060708L)))
                .isEqualTo(hex("00000015 2C 00 00000003 0001 71 0001 73 01 0102030405060708"));
    }

    @Test
    void shouldEncodeRejectExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new RejectFrame(4, 7, 9, "no")))
                .isEqualTo(hex("00000016 1A 00 00000004 00000007 0000000000000009 0002 6E6F"));
    }

    @Test
    void shouldEncodeBrowseExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new BrowseFrame(5, "q", 10, 100, 65_536)))
                .isEqualTo(hex("00000017 2A 00 00000005 0001 71 000000000000000A 0064 00010000"));
    }

    @Test
    void shouldEncodeSubscriptionListExactlyAsSpecified() {
        assertThat(SampleFrames.encode(new SubscriptionListFrame(6, List.of(
                new SubscriptionInfo("s", 1, 2, 3, 4, 5, 6)), true)))
                .isEqualTo(hex("00000036 26 00 00000006 00000001"
                        + " 0001 73 00000001 0000000000000002 00000003 0000000000000004"
                        + " 0000000000000005 0000000000000006 01"));
    }

    @Test
    void shouldEncodeListSubscriptionsWithTheNameToContinueAfter() {
        assertThat(SampleFrames.encode(new ListSubscriptionsFrame(6, "q", "s")))
                .isEqualTo(hex("0000000C 25 00 00000006 0001 71 0001 73"));
    }

    @Test
    void shouldRoundTripTheLargestBrowseResult() {
        BrowseResultFrame result = new BrowseResultFrame(1, 2000, Collections.nCopies(ProtocolLimits.MAX_BROWSE_MESSAGES,
                new BrowsedMessage(1, 2, "p", "", 3, Headers.EMPTY, Bytes.utf8("m"), Bytes.EMPTY, Bytes.EMPTY)));
        assertThat(SampleFrames.decodeWithPrefix(SampleFrames.encode(result))).isEqualTo(result);
    }

    @Test
    void shouldEncodeAnEmptyBodyAsTheBareHeader() {
        assertThat(SampleFrames.encode(new ListQueuesFrame(0xFFFFFFFF)))
                .isEqualTo(hex("00000006 22 00 FFFFFFFF"));
    }

    @Test
    void shouldEncodePublishExactlyAsSpecified() {
        PublishFrame publish = new PublishFrame(2, "q", List.of(new PublishMessage("", 1, 0,
                Headers.builder().add("k", "v").build(), Bytes.utf8("hi"), Bytes.EMPTY)));
        assertThat(SampleFrames.encode(publish)).isEqualTo(hex(
                "00000032 10 00 00000002"
                        + " 0001 71"                       // queue "q"
                        + " 0001"                          // one message
                        + " 00"                            // message flags
                        + " 0000"                          // producerId ""
                        + " 0000000000000001"              // sequence
                        + " 0000000000000000"              // ttlMillis
                        + " 0001 0001 6B 00000001 76"      // headers k=v
                        + " 00000002 6869"                 // payload "hi"
                        + " 00000000"));                   // no signature
    }

    @Test
    void shouldFitAOneMebibytePayloadInTheDefaultFrameLimit() {
        PublishMessage message = new PublishMessage("producer", 1, 0,
                Headers.builder().add("content-type", "application/octet-stream").build(),
                Bytes.copyOf(new byte[1024 * 1024]), Bytes.copyOf(new byte[64]));
        byte[] encoded = SampleFrames.encode(
                new PublishFrame(1, "a-queue-with-a-long-name-" + "x".repeat(200), List.of(message)));
        assertThat(encoded.length - 4).isLessThanOrEqualTo(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
    }

    @Test
    void shouldRoundTripTheLargestAck() {
        long[] offsets = new long[ProtocolLimits.MAX_ACK_OFFSETS];
        Arrays.setAll(offsets, i -> i * 7L);
        AckFrame ack = new AckFrame(1, 2, offsets);
        assertThat(SampleFrames.decodeWithPrefix(SampleFrames.encode(ack))).isEqualTo(ack);
    }

    @Test
    void shouldRoundTripTheLargestPublishBatch() {
        List<PublishMessage> messages = Collections.nCopies(ProtocolLimits.MAX_PUBLISH_MESSAGES,
                new PublishMessage("p", 1, 0, Headers.EMPTY, Bytes.utf8("m"), Bytes.EMPTY));
        PublishFrame publish = new PublishFrame(1, "q", messages);
        assertThat(SampleFrames.decodeWithPrefix(SampleFrames.encode(publish))).isEqualTo(publish);
    }

    @Test
    void shouldRoundTripTheMaximumNumberOfHeaders() {
        Headers.Builder builder = Headers.builder();
        for (int i = 0; i < ProtocolLimits.MAX_HEADERS; i++) {
            builder.add("h" + i, new byte[] {(byte) i});
        }
        PublishFrame publish = new PublishFrame(1, "q", List.of(
                new PublishMessage("", 0, 0, builder.build(), Bytes.EMPTY, Bytes.EMPTY)));
        assertThat(SampleFrames.decodeWithPrefix(SampleFrames.encode(publish))).isEqualTo(publish);
    }

    @Test
    void shouldAppendToExistingBufferContent() {
        ByteBuf buf = Unpooled.buffer();
        buf.writeByte(0x7F);
        FrameCodec.encode(new PingFrame(1, 2), buf);
        assertThat(buf.readByte()).isEqualTo((byte) 0x7F);
        buf.skipBytes(4);
        assertThat(FrameCodec.decode(buf)).isEqualTo(new PingFrame(1, 2));
    }
}
