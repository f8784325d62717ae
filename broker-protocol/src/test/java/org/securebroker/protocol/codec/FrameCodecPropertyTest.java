package org.securebroker.protocol.codec;

import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.FrameType;

/** Properties of {@link FrameCodec} over generated frames and generated garbage. */
class FrameCodecPropertyTest {

    @Test
    void shouldDecodeEveryEncodedFrameToAnEqualFrame() {
        PropertyCheck.forAll(500, FrameGenerators.frames(), frame -> {
            ByteBuf buf = Unpooled.buffer();
            FrameCodec.encode(frame, buf);
            assertThat(buf.readUnsignedInt()).isEqualTo(buf.readableBytes());

            Frame decoded = FrameCodec.decode(buf);

            assertThat(decoded).isEqualTo(frame).hasSameHashCodeAs(frame);
            assertThat(buf.isReadable()).isFalse();
        });
    }

    /** A session of version 1 decodes exactly the frames of version 1 and knows no other type. */
    @Test
    void shouldDecodeInAVersionOneSessionExactlyTheVersionOneFrames() {
        PropertyCheck.forAll(500, FrameGenerators.frames(), frame -> {
            ByteBuf buf = Unpooled.buffer();
            FrameCodec.encode(frame, buf);
            buf.skipBytes(FrameCodec.LENGTH_FIELD_SIZE);
            if (frame.type().since() == 1) {
                assertThat(FrameCodec.decode(buf, 1)).isEqualTo(frame);
            } else {
                assertThatThrownBy(() -> FrameCodec.decode(buf, 1))
                        .isInstanceOfSatisfying(ProtocolException.class,
                                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE));
            }
        });
    }

    /**
     * Mutated frames (a byte overwritten, truncated or extended) either fail with a
     * ProtocolException or decode to a frame whose encoding is exactly the mutated bytes:
     * decoding is strict and encoding canonical, so no two byte strings mean the same frame.
     */
    @Test
    void shouldEitherRejectAMutatedFrameOrDecodeItCanonically() {
        Gen<byte[]> frames = FrameGenerators.encodedFrames()
                .map(encoded -> Arrays.copyOfRange(encoded, 4, encoded.length));
        Gen<byte[]> mutated = r -> mutate(frames.next(r), r.nextInt(3), r.nextInt(1 << 20),
                (byte) r.nextInt());
        PropertyCheck.forAll(500, mutated, FrameCodecPropertyTest::assertRejectedOrCanonical);
    }

    /** Random bodies behind any type code never escape as another exception type. */
    @Test
    void shouldOnlyEverThrowProtocolExceptionForRandomBodies() {
        Gen<Integer> knownCodes = Gen.elements(FrameType.values()).map(FrameType::code);
        Gen<Integer> codes = Gen.weighted(9, knownCodes, 1, Gen.ints(0, 255));
        Gen<byte[]> bodies = Gen.byteArrays(64);
        Gen<byte[]> frames = r -> {
            byte[] raw = SampleFrames.rawFrame(codes.next(r), 0, 0, bodies.next(r));
            return Arrays.copyOfRange(raw, 4, raw.length);
        };
        PropertyCheck.forAll(500, frames, FrameCodecPropertyTest::assertRejectedOrCanonical);
    }

    /** A string field is accepted exactly when the JDK's strict UTF-8 decoder accepts it. */
    @Test
    void shouldAcceptExactlyWellFormedUtf8() {
        Gen<Byte> interesting = Gen.elements(
                (byte) 0x00, (byte) 0x41, (byte) 0x7F, (byte) 0x80, (byte) 0x8F, (byte) 0x90,
                (byte) 0x9F, (byte) 0xA0, (byte) 0xBF, (byte) 0xC0, (byte) 0xC1, (byte) 0xC2,
                (byte) 0xDF, (byte) 0xE0, (byte) 0xE1, (byte) 0xED, (byte) 0xEE, (byte) 0xEF,
                (byte) 0xF0, (byte) 0xF1, (byte) 0xF4, (byte) 0xF5, (byte) 0xFE, (byte) 0xFF);
        Gen<Byte> anyByte = r -> (byte) r.nextInt();
        Gen<byte[]> biased = Gen.oneOf(interesting, anyByte).list(0, 8).map(list -> {
            byte[] bytes = new byte[list.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = list.get(i);
            }
            return bytes;
        });
        PropertyCheck.forAll(1000, Gen.oneOf(biased, FrameGenerators.utf8Text()), text -> {
            ByteBuf frame = Unpooled.buffer();
            frame.writeByte(FrameType.DELETE_QUEUE.code()).writeByte(0).writeInt(1);
            frame.writeShort(text.length).writeBytes(text);

            Optional<String> strict = strictDecode(text);
            if (strict.isPresent()) {
                assertThat(FrameCodec.decode(frame)).isEqualTo(new DeleteQueueFrame(1, strict.get()));
            } else {
                assertThatThrownBy(() -> FrameCodec.decode(frame))
                        .isInstanceOfSatisfying(ProtocolException.class,
                                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL_ERROR));
            }
        });
    }

    private static void assertRejectedOrCanonical(byte[] frame) {
        Frame decoded;
        try {
            decoded = FrameCodec.decode(Unpooled.wrappedBuffer(frame));
        } catch (ProtocolException expected) {
            assertThat(expected.errorCode()).isIn(ErrorCode.PROTOCOL_ERROR, ErrorCode.UNKNOWN_FRAME_TYPE);
            return;
        }
        byte[] reencoded = SampleFrames.encode(decoded);
        assertThat(Arrays.copyOfRange(reencoded, 4, reencoded.length)).isEqualTo(frame);
    }

    private static byte[] mutate(byte[] frame, int kind, int position, byte value) {
        int at = position % frame.length;
        return switch (kind) {
            case 0 -> {
                byte[] copy = frame.clone();
                copy[at] = value;
                yield copy;
            }
            case 1 -> Arrays.copyOf(frame, at);
            default -> {
                byte[] longer = Arrays.copyOf(frame, frame.length + 1);
                longer[frame.length] = value;
                yield longer;
            }
        };
    }

    private static Optional<String> strictDecode(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
