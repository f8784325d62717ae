package org.securebroker.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.HelloFrame;

/** Bodies that violate the wire format must fail with ProtocolException, never anything else. */
class FrameCodecDecodeRejectionTest {

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void shouldRejectEveryTruncationOfAValidFrame(FrameType type) {
        byte[] encoded = SampleFrames.encode(SampleFrames.sample(type));
        byte[] frame = Arrays.copyOfRange(encoded, 4, encoded.length);
        for (int cut = 0; cut < frame.length; cut++) {
            ByteBuf truncated = Unpooled.wrappedBuffer(frame, 0, cut);
            assertThatThrownBy(() -> FrameCodec.decode(truncated))
                    .as("cut at %d of %d", cut, frame.length)
                    .isInstanceOfSatisfying(ProtocolException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL_ERROR));
        }
    }

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void shouldRejectTrailingBytesAfterTheLastField(FrameType type) {
        byte[] encoded = SampleFrames.encode(SampleFrames.sample(type));
        byte[] frame = Arrays.copyOfRange(encoded, 4, encoded.length + 1);
        assertProtocolError(frame).hasMessageContaining("trailing");
    }

    @Test
    void shouldRejectNonZeroFrameFlags() {
        assertProtocolError(frame(0x32, 0x01, 0, body(b -> b.writeLong(1))))
                .hasMessageContaining("flags");
    }

    @Test
    void shouldRejectAnUnknownFrameTypeNamingItsCode() {
        for (int code : new int[] {0x00, 0x07, 0x0F, 0x1B, 0x2E, 0x2F, 0x35, 0xFF}) {
            assertThatThrownBy(() -> FrameCodec.decode(Unpooled.wrappedBuffer(frame(code, 0, 0, new byte[0]))))
                    .isInstanceOfSatisfying(ProtocolException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE))
                    .hasMessage("unknown frame type 0x%02X", code);
        }
    }

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void shouldTreatAVersionTwoFrameAsUnknownInAVersionOneSession(FrameType type) {
        byte[] encoded = SampleFrames.encode(SampleFrames.sample(type));
        byte[] frame = Arrays.copyOfRange(encoded, 4, encoded.length);
        if (type.since() == 1) {
            assertThat(FrameCodec.decode(Unpooled.wrappedBuffer(frame), 1)).isEqualTo(SampleFrames.sample(type));
            return;
        }
        assertThatThrownBy(() -> FrameCodec.decode(Unpooled.wrappedBuffer(frame), 1))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE))
                .hasMessageStartingWith("unknown frame type 0x%02X in protocol version 1", type.code());
        assertThat(FrameCodec.decode(Unpooled.wrappedBuffer(frame), 2)).isEqualTo(SampleFrames.sample(type));
    }

    @Test
    void shouldRefuseToDecodeForAVersionItDoesNotSpeak() {
        byte[] frame = frame(0x32, 0, 0, body(b -> b.writeLong(1)));
        assertThatThrownBy(() -> FrameCodec.decode(Unpooled.wrappedBuffer(frame), 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version 3");
    }

    @Test
    void shouldRejectSeekWithAnUnknownKind() {
        byte[] body = body(b -> b.writeShort(1).writeByte('q').writeShort(1).writeByte('s')
                .writeByte(2).writeLong(0));
        assertProtocolError(frame(0x2C, 0, 1, body)).hasMessageContaining("kind 2");
    }

    @Test
    void shouldRejectARejectReasonLongerThan1024Bytes() {
        byte[] body = body(b -> b.writeInt(1).writeLong(5).writeShort(1025).writeBytes(new byte[1025]));
        assertProtocolError(frame(0x1A, 0, 1, body)).hasMessageContaining("reason").hasMessageContaining("1024");
    }

    @Test
    void shouldRejectBrowseAskingForNoneOrTooManyMessagesOrNoBytes() {
        assertProtocolError(frame(0x2A, 0, 1, body(b -> b.writeShort(1).writeByte('q').writeLong(0)
                .writeShort(0).writeInt(1)))).hasMessageContaining("maxMessages");
        assertProtocolError(frame(0x2A, 0, 1, body(b -> b.writeShort(1).writeByte('q').writeLong(0)
                .writeShort(1001).writeInt(1)))).hasMessageContaining("maxMessages");
        assertProtocolError(frame(0x2A, 0, 1, body(b -> b.writeShort(1).writeByte('q').writeLong(0)
                .writeShort(1).writeInt(0)))).hasMessageContaining("maxBytes");
    }

    @Test
    void shouldRejectABrowseResultCountAboveTheLimitOrBeyondTheFrameWithoutAllocating() {
        assertProtocolError(frame(0x2B, 0, 1, body(b -> b.writeLong(0).writeShort(1001))))
                .hasMessageContaining("1001");
        assertProtocolError(frame(0x2B, 0, 1, body(b -> b.writeLong(0).writeShort(1000))))
                .hasMessageContaining("entries");
    }

    @Test
    void shouldRejectASubscriptionListCountTheFrameCannotHoldWithoutAllocating() {
        assertProtocolError(frame(0x26, 0, 1, body(b -> b.writeInt(0xFFFF_FFFF)))).hasMessageContaining("entries");
    }

    @Test
    void shouldRejectASubscriptionInfoWithANegativeTime() {
        byte[] body = body(b -> b.writeInt(1).writeShort(1).writeByte('s').writeInt(0).writeLong(0)
                .writeInt(0).writeLong(0).writeLong(-1).writeLong(0));
        assertProtocolError(frame(0x26, 0, 1, body)).hasMessageContaining("lastActiveMillis");
    }

    @Test
    void shouldRejectAFrameShorterThanItsHeader() {
        assertProtocolError(new byte[] {0x32, 0, 0, 0, 0}).hasMessageContaining("header");
    }

    @Test
    void shouldRejectHelloWithBadMagic() {
        byte[] body = body(b -> {
            b.writeInt(0x48545450); // "HTTP"
            b.writeShort(1).writeShort(1).writeInt(65_536).writeShort(0);
        });
        assertProtocolError(frame(0x01, 0, 1, body)).hasMessageContaining("magic");
    }

    @Test
    void shouldAcceptHelloWithTheMagic() {
        byte[] body = body(b -> b.writeInt(HelloFrame.MAGIC).writeShort(1).writeShort(2)
                .writeInt(65_536).writeShort(0));
        assertThat(FrameCodec.decode(Unpooled.wrappedBuffer(frame(0x01, 0, 1, body))))
                .isEqualTo(new HelloFrame(1, 1, 2, 65_536, ""));
    }

    @Test
    void shouldRejectInvalidUtf8() {
        String[] invalid = {"C328", "C080", "ED A080", "F4908080", "FF", "E282", "80"};
        for (String hex : invalid) {
            byte[] bytes = SampleFrames.hex(hex);
            byte[] body = body(b -> b.writeShort(bytes.length).writeBytes(bytes));
            assertProtocolError(frame(0x21, 0, 1, body)).as(hex).hasMessageContaining("UTF-8");
        }
    }

    @Test
    void shouldRejectABoolOtherThanZeroOrOne() {
        byte[] body = body(b -> b.writeShort(1).writeLong(5).writeByte(2).writeInt(0));
        assertProtocolError(frame(0x11, 0, 1, body)).hasMessageContaining("duplicate");
    }

    @Test
    void shouldRejectABytesFieldLongerThanTheRestOfTheFrameWithoutAllocating() {
        byte[] body = body(b -> b.writeInt(0xFFFF_FFFF).writeBytes(new byte[10]));
        assertProtocolError(frame(0x04, 0, 1, body)).hasMessageContaining("4294967295");
    }

    @Test
    void shouldRejectAStringLongerThanTheRestOfTheFrame() {
        byte[] body = body(b -> b.writeShort(0xFFFF).writeBytes(new byte[10]));
        assertProtocolError(frame(0x21, 0, 1, body)).hasMessageContaining("queue");
    }

    @Test
    void shouldRejectAQueueListCountTheFrameCannotHoldWithoutAllocating() {
        byte[] body = body(b -> b.writeInt(0xFFFF_FFFF));
        assertProtocolError(frame(0x23, 0, 1, body)).hasMessageContaining("entries");
    }

    @Test
    void shouldRejectPublishWithoutMessages() {
        byte[] body = body(b -> b.writeShort(1).writeByte('q').writeShort(0));
        assertProtocolError(frame(0x10, 0, 1, body)).hasMessageContaining("messages");
    }

    @Test
    void shouldRejectPublishWithMoreThan1000Messages() {
        byte[] body = body(b -> b.writeShort(1).writeByte('q').writeShort(1001));
        assertProtocolError(frame(0x10, 0, 1, body)).hasMessageContaining("1001");
    }

    @Test
    void shouldRejectNonZeroMessageFlags() {
        byte[] body = body(b -> {
            b.writeShort(1).writeByte('q').writeShort(1);
            writeMessage(b, 0x01, 0, 0);
        });
        assertProtocolError(frame(0x10, 0, 1, body)).hasMessageContaining("message flags");
    }

    @Test
    void shouldRejectANegativeTtl() {
        byte[] body = body(b -> {
            b.writeShort(1).writeByte('q').writeShort(1);
            writeMessage(b, 0, -1, 0);
        });
        assertProtocolError(frame(0x10, 0, 1, body)).hasMessageContaining("ttlMillis");
    }

    @Test
    void shouldRejectDuplicateHeaderKeys() {
        byte[] body = body(b -> {
            b.writeShort(1).writeByte('q').writeShort(1);
            b.writeByte(0).writeShort(0).writeLong(0).writeLong(0);
            b.writeShort(2);
            b.writeShort(1).writeByte('k').writeInt(1).writeByte('a');
            b.writeShort(1).writeByte('k').writeInt(1).writeByte('b');
            b.writeInt(0).writeInt(0);
        });
        assertProtocolError(frame(0x10, 0, 1, body)).hasMessageContaining("duplicate header");
    }

    @Test
    void shouldRejectMoreThan64Headers() {
        byte[] body = body(b -> {
            b.writeShort(1).writeByte('q').writeShort(1);
            b.writeByte(0).writeShort(0).writeLong(0).writeLong(0);
            b.writeShort(65);
            for (int i = 0; i < 65; i++) {
                b.writeShort(2).writeByte('k').writeByte(i).writeInt(0);
            }
            b.writeInt(0).writeInt(0);
        });
        assertProtocolError(frame(0x10, 0, 1, body)).hasMessageContaining("65");
    }

    @Test
    void shouldRejectAckWithoutOffsetsOrWithMoreThan4096() {
        assertProtocolError(frame(0x17, 0, 1, body(b -> b.writeInt(1).writeShort(0))))
                .hasMessageContaining("offsets");
        assertProtocolError(frame(0x17, 0, 1, body(b -> b.writeInt(1).writeShort(4097))))
                .hasMessageContaining("4097");
    }

    @Test
    void shouldRejectANegativeNackDelay() {
        assertProtocolError(frame(0x18, 0, 1, body(b -> b.writeInt(1).writeLong(1).writeLong(-5))))
                .hasMessageContaining("delayMillis");
    }

    @Test
    void shouldRejectDeliverWithANonZeroCorrelationId() {
        byte[] encoded = SampleFrames.encode(SampleFrames.sample(FrameType.DELIVER));
        byte[] frame = Arrays.copyOfRange(encoded, 4, encoded.length);
        frame[5] = 1; // last byte of the correlation id
        assertProtocolError(frame).hasMessageContaining("correlation id");
    }

    @Test
    void shouldRejectDeliverWithDeliveryCountZero() {
        byte[] encoded = SampleFrames.encode(SampleFrames.sample(FrameType.DELIVER));
        ByteBuf frame = Unpooled.wrappedBuffer(Arrays.copyOfRange(encoded, 4, encoded.length));
        // consumerId(4) + queue "orders"(2+6) + offset(8), then deliveryCount
        frame.setInt(FrameCodec.FIXED_HEADER_SIZE + 4 + 8 + 8, 0);
        assertProtocolError(ByteBufUtil.getBytes(frame)).hasMessageContaining("deliveryCount");
    }

    @Test
    void shouldDecodeAnErrorCodeFromANewerServer() {
        byte[] body = body(b -> b.writeShort(4711).writeShort(0));
        ErrorFrame error = (ErrorFrame) FrameCodec.decode(Unpooled.wrappedBuffer(frame(0x31, 0, 9, body)));
        assertThat(error.code()).isEqualTo(4711);
        assertThat(error.errorCode()).isEmpty();
    }

    private static void writeMessage(ByteBuf b, int flags, long ttl, int payloadLength) {
        b.writeByte(flags).writeShort(0).writeLong(0).writeLong(ttl).writeShort(0);
        b.writeInt(payloadLength).writeBytes(new byte[payloadLength]).writeInt(0);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertProtocolError(byte[] frame) {
        return assertThatThrownBy(() -> FrameCodec.decode(Unpooled.wrappedBuffer(frame)))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL_ERROR));
    }

    /** A frame without its length prefix. */
    private static byte[] frame(int type, int flags, int correlationId, byte[] body) {
        byte[] raw = SampleFrames.rawFrame(type, flags, correlationId, body);
        return Arrays.copyOfRange(raw, 4, raw.length);
    }

    private static byte[] body(Consumer<ByteBuf> writer) {
        ByteBuf buf = Unpooled.buffer();
        writer.accept(buf);
        return ByteBufUtil.getBytes(buf);
    }
}
