package org.securebroker.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.frame.AuthChallengeFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.PingFrame;

class FrameDecoderTest {

    private static final int SMALL_LIMIT = 4096;
    /** Bytes an AUTH_CHALLENGE frame adds to its challenge: fixed header and the u32 length. */
    private static final int OVERHEAD = FrameCodec.FIXED_HEADER_SIZE + 4;

    private FrameDecoder decoder;
    private RecordingHandler recorder;
    private EmbeddedChannel channel;

    private void open(FrameDecoder frameDecoder) {
        decoder = frameDecoder;
        recorder = new RecordingHandler();
        channel = new EmbeddedChannel(decoder, recorder);
    }

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private void write(byte[] bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    private void write(byte[] bytes, int from, int to) {
        channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, from, to)));
    }

    private ProtocolException singleFailure() {
        assertThat(recorder.exceptions).hasSize(1);
        assertThat(recorder.exceptions.get(0)).isExactlyInstanceOf(ProtocolException.class);
        return (ProtocolException) recorder.exceptions.get(0);
    }

    @Test
    void shouldDecodeAllFrameTypesWrittenAsOneBuffer() {
        open(new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
        decoder.setVersion(ProtocolVersion.MAX);
        write(SampleFrames.encodeAll(SampleFrames.all()));
        assertThat(recorder.frames).containsExactlyElementsOf(SampleFrames.all());
        assertThat(recorder.exceptions).isEmpty();
        assertThat(decoder.bufferedBytes()).isZero();
    }

    @Test
    void shouldKnowOnlyVersionOneFramesUntilTheVersionIsSet() {
        open(new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
        assertThat(decoder.version()).isEqualTo(1);
        write(SampleFrames.encodeAll(SampleFrames.allOf(1)));
        write(SampleFrames.encode(new ListSubscriptionsFrame(1, "orders")));

        assertThat(recorder.frames).containsExactlyElementsOf(SampleFrames.allOf(1));
        assertThat(singleFailure().errorCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE);
        assertThat(decoder.hasFailed()).isTrue();
    }

    @Test
    void shouldDecodeVersionTwoFramesOnceTheSessionNegotiatedVersionTwo() {
        open(new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
        decoder.setVersion(2);
        write(SampleFrames.encodeAll(SampleFrames.all()));
        assertThat(recorder.frames).containsExactlyElementsOf(SampleFrames.all());
        assertThat(recorder.exceptions).isEmpty();
    }

    @Test
    void shouldRefuseAVersionItDoesNotSpeak() {
        open(new FrameDecoder());
        assertThatThrownBy(() -> decoder.setVersion(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> decoder.setVersion(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(decoder.version()).isEqualTo(1);
    }

    @Test
    void shouldDecodeIdenticallyWhenSplitAtAnyBoundary() {
        List<Frame> frames = SampleFrames.all();
        byte[] stream = SampleFrames.encodeAll(frames);
        for (int split = 1; split < stream.length; split++) {
            open(new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
            decoder.setVersion(ProtocolVersion.MAX);
            write(stream, 0, split);
            write(stream, split, stream.length);
            assertThat(recorder.frames).as("split at %d", split).containsExactlyElementsOf(frames);
            assertThat(recorder.exceptions).isEmpty();
            channel.finishAndReleaseAll();
        }
        channel = null;
    }

    @Test
    void shouldDecodeIdenticallyWhenFedOneByteAtATime() {
        open(new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
        decoder.setVersion(ProtocolVersion.MAX);
        byte[] stream = SampleFrames.encodeAll(SampleFrames.all());
        for (int i = 0; i < stream.length; i++) {
            write(stream, i, i + 1);
        }
        assertThat(recorder.frames).containsExactlyElementsOf(SampleFrames.all());
        assertThat(recorder.exceptions).isEmpty();
    }

    @Test
    void shouldRejectOversizedFrameBeforeReadingBody() {
        open(new FrameDecoder(SMALL_LIMIT));
        write(new byte[] {0, 0, 0x10, 0x01}); // announces 4097 bytes, sends none of them
        ProtocolException failure = singleFailure();
        assertThat(failure.errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(failure).hasMessageContaining("4097").hasMessageContaining("4096");
        assertThat(decoder.bufferedBytes()).isZero();
    }

    @Test
    void shouldIgnoreAllInputAfterFailing() {
        open(new FrameDecoder(SMALL_LIMIT));
        write(new byte[] {0x7F, 0, 0, 0});
        write(SampleFrames.encode(new PingFrame(1, 1)));
        write(new byte[] {0x7F, 0x7F, 0x7F, 0x7F, 1, 2, 3});
        write(SampleFrames.encode(new PingFrame(2, 2)));
        assertThat(singleFailure().errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(recorder.frames).isEmpty();
        assertThat(decoder.hasFailed()).isTrue();
        assertThat(decoder.bufferedBytes()).isZero();
    }

    @Test
    void shouldPassOnFramesDecodedBeforeAFailureFirst() {
        open(new FrameDecoder(SMALL_LIMIT));
        byte[] ping = SampleFrames.encode(new PingFrame(1, 1));
        byte[] garbage = SampleFrames.rawFrame(0x07, 0, 0, new byte[0]);
        byte[] pong = SampleFrames.encode(new PingFrame(3, 3));
        byte[] stream = new byte[ping.length + garbage.length + pong.length];
        System.arraycopy(ping, 0, stream, 0, ping.length);
        System.arraycopy(garbage, 0, stream, ping.length, garbage.length);
        System.arraycopy(pong, 0, stream, ping.length + garbage.length, pong.length);
        write(stream);
        assertThat(recorder.frames).containsExactly(new PingFrame(1, 1));
        assertThat(singleFailure().errorCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE);
    }

    @Test
    void shouldRejectAnUnknownFrameType() {
        open(new FrameDecoder());
        write(SampleFrames.rawFrame(0x0A, 0, 1, new byte[] {1, 2, 3}));
        ProtocolException failure = singleFailure();
        assertThat(failure.errorCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE);
        assertThat(failure).hasMessage("unknown frame type 0x0A");
    }

    @Test
    void shouldRejectTrailingBytesInsideAFrame() {
        open(new FrameDecoder());
        write(SampleFrames.rawFrame(0x32, 0, 1, new byte[9])); // PING's body is exactly 8 bytes
        assertThat(singleFailure().errorCode()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
        assertThat(recorder.frames).isEmpty();
    }

    @Test
    void shouldRejectLengthsWithTheHighBitSetAsTooLarge() {
        for (byte[] length : List.of(new byte[] {(byte) 0x80, 0, 0, 0},
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF})) {
            open(new FrameDecoder(ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE));
            write(length);
            ProtocolException failure = singleFailure();
            assertThat(failure.errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
            assertThat(failure).hasMessageNotContaining("-");
            channel.finishAndReleaseAll();
        }
        channel = null;
    }

    @Test
    void shouldRejectLengthsShorterThanTheFrameHeader() {
        for (int length = 0; length < FrameCodec.FIXED_HEADER_SIZE; length++) {
            open(new FrameDecoder());
            write(new byte[] {0, 0, 0, (byte) length, 0x30, 0, 0, 0, 0, 0, 0, 0, 0});
            ProtocolException failure = singleFailure();
            assertThat(failure.errorCode()).as("length %d", length).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(recorder.frames).isEmpty();
            channel.finishAndReleaseAll();
        }
        channel = null;
    }

    @Test
    void shouldAcceptAFrameOfExactlyTheMaximumSize() {
        open(new FrameDecoder(SMALL_LIMIT));
        AuthChallengeFrame atLimit = new AuthChallengeFrame(1, Bytes.copyOf(new byte[SMALL_LIMIT - OVERHEAD]));
        byte[] encoded = SampleFrames.encode(atLimit);
        assertThat(encoded.length).isEqualTo(SMALL_LIMIT + 4);
        write(encoded);
        assertThat(recorder.frames).containsExactly(atLimit);
        assertThat(recorder.exceptions).isEmpty();
    }

    @Test
    void shouldRejectAFrameOneByteOverTheMaximumSize() {
        open(new FrameDecoder(SMALL_LIMIT));
        write(SampleFrames.encode(new AuthChallengeFrame(1, Bytes.copyOf(new byte[SMALL_LIMIT - OVERHEAD + 1]))));
        assertThat(singleFailure().errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(recorder.frames).isEmpty();
    }

    @Test
    void shouldStartWithThePreAuthenticationLimit() {
        open(new FrameDecoder());
        assertThat(decoder.maxFrameSize()).isEqualTo(ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE);
        write(SampleFrames.encode(new AuthChallengeFrame(1, Bytes.copyOf(new byte[100_000]))));
        assertThat(singleFailure().errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void shouldAcceptLargerFramesAfterTheLimitIsRaised() {
        open(new FrameDecoder());
        write(SampleFrames.encode(new PingFrame(1, 1)));
        decoder.setMaxFrameSize(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
        AuthChallengeFrame large = new AuthChallengeFrame(2, Bytes.copyOf(new byte[1024 * 1024]));
        write(SampleFrames.encode(large));
        assertThat(recorder.frames).containsExactly(new PingFrame(1, 1), large);
        assertThat(recorder.exceptions).isEmpty();
    }

    @Test
    void shouldBufferNoMoreThanOneIncompleteFrame() {
        open(new FrameDecoder(SMALL_LIMIT));
        byte[] atLimit = SampleFrames.encode(new AuthChallengeFrame(1, Bytes.copyOf(new byte[SMALL_LIMIT - OVERHEAD])));
        write(atLimit, 0, atLimit.length - 1);
        assertThat(decoder.bufferedBytes()).isEqualTo(SMALL_LIMIT + 3);
        write(atLimit, atLimit.length - 1, atLimit.length);
        assertThat(decoder.bufferedBytes()).isZero();
        assertThat(recorder.frames).hasSize(1);
    }

    @Test
    void shouldRejectAFrameSizeLimitOutsideTheAllowedRange() {
        assertThatThrownBy(() -> new FrameDecoder(4095)).isInstanceOf(IllegalArgumentException.class);
        FrameDecoder frameDecoder = new FrameDecoder();
        assertThatThrownBy(() -> frameDecoder.setMaxFrameSize(ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(frameDecoder.maxFrameSize()).isEqualTo(ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE);
    }

    @Test
    void shouldNotBeSharable() {
        assertThat(new FrameDecoder().isSharable()).isFalse();
    }

    @Test
    void shouldDropAnIncompleteFrameSilentlyWhenTheChannelCloses() {
        open(new FrameDecoder());
        byte[] ping = SampleFrames.encode(new PingFrame(1, 1));
        write(ping, 0, ping.length - 1);
        channel.finishAndReleaseAll();
        channel = null;
        assertThat(recorder.frames).isEmpty();
        assertThat(recorder.exceptions).isEmpty();
    }
}
