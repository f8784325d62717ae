package org.securebroker.protocol.codec;

import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.frame.Frame;

/** Properties of {@link FrameDecoder} in a channel, over generated streams and chunkings. */
class FrameDecoderPropertyTest {

    private static final int SMALL_LIMIT = ProtocolLimits.MIN_FRAME_SIZE_LIMIT;

    private record Chunked<T>(T input, List<Integer> chunkSizes) {
        @Override
        public String toString() {
            String shown = input instanceof byte[] bytes
                    ? bytes.length + " bytes: " + ByteBufUtil.hexDump(bytes, 0, Math.min(bytes.length, 256))
                    : String.valueOf(input);
            return shown + " in chunks " + chunkSizes;
        }
    }

    @Test
    void shouldDecodeTheSameFramesHoweverTheStreamIsChunked() {
        Gen<List<Frame>> frameLists = FrameGenerators.frames().list(1, 10);
        Gen<Chunked<List<Frame>>> cases =
                r -> new Chunked<>(frameLists.next(r), Gen.ints(1, 200).list(1, 20).next(r));
        PropertyCheck.forAll(300, cases, c -> {
            FrameDecoder decoder = new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
            decoder.setVersion(ProtocolVersion.MAX);
            RecordingHandler recorder = new RecordingHandler();
            EmbeddedChannel channel = new EmbeddedChannel(decoder, recorder);
            try {
                feed(channel, decoder, SampleFrames.encodeAll(c.input()), c.chunkSizes(),
                        ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
                assertThat(recorder.exceptions).isEmpty();
                assertThat(recorder.frames).containsExactlyElementsOf(c.input());
                assertThat(decoder.bufferedBytes()).isZero();
            } finally {
                channel.finishAndReleaseAll();
            }
        });
    }

    /**
     * For any input in any chunking: the decoder passes on only frames, then at most one
     * ProtocolException (and nothing after it); the frames re-encode to exactly the bytes they
     * came from; and after every chunk it holds fewer than {@code limit + 4} undecoded bytes,
     * so it never accumulates a frame body beyond the limit.
     */
    @Test
    void shouldYieldValidFramesOrExactlyOneProtocolExceptionForAnyInput() {
        Gen<byte[]> streams = hostileStreams();
        Gen<Chunked<byte[]>> cases =
                r -> new Chunked<>(streams.next(r), Gen.ints(1, 300).list(1, 20).next(r));
        PropertyCheck.forAll(400, cases, c -> {
            byte[] stream = c.input();
            FrameDecoder decoder = new FrameDecoder(SMALL_LIMIT);
            decoder.setVersion(ProtocolVersion.MAX);
            RecordingHandler recorder = new RecordingHandler();
            EmbeddedChannel channel = new EmbeddedChannel(decoder, recorder);
            try {
                feed(channel, decoder, stream, c.chunkSizes(), SMALL_LIMIT);
                channel.finish();

                assertThat(recorder.others).isEmpty();
                assertThat(recorder.exceptions).hasSizeLessThanOrEqualTo(1);
                assertThat(recorder.exceptions).allSatisfy(
                        e -> assertThat(e).isExactlyInstanceOf(ProtocolException.class));

                byte[] decodedBytes = SampleFrames.encodeAll(recorder.frames);
                assertThat(decodedBytes.length).isLessThanOrEqualTo(stream.length);
                assertThat(decodedBytes).isEqualTo(Arrays.copyOf(stream, decodedBytes.length));
                if (recorder.exceptions.isEmpty()) {
                    assertThat(stream.length - decodedBytes.length)
                            .as("only an incomplete final frame may remain")
                            .isLessThan(SMALL_LIMIT + FrameCodec.LENGTH_FIELD_SIZE);
                }
            } finally {
                channel.finishAndReleaseAll();
            }
        });
    }

    /** Feeds {@code stream} in chunks, checking the buffered-bytes bound after every chunk. */
    private static void feed(EmbeddedChannel channel, FrameDecoder decoder, byte[] stream,
                             List<Integer> chunkSizes, int limit) {
        int position = 0;
        int chunk = 0;
        while (position < stream.length) {
            int size = Math.min(chunkSizes.get(chunk++ % chunkSizes.size()), stream.length - position);
            channel.writeInbound(Unpooled.wrappedBuffer(stream, position, size));
            position += size;
            assertThat(decoder.bufferedBytes())
                    .as("bytes held after %d of %d", position, stream.length)
                    .isLessThan(limit + FrameCodec.LENGTH_FIELD_SIZE);
        }
    }

    /**
     * Streams assembled from valid frames, corrupted frames, random bytes and plausible length
     * prefixes followed by too little or too much data, so that every decoder state is reached.
     */
    private static Gen<byte[]> hostileStreams() {
        Gen<byte[]> valid = FrameGenerators.encodedFrames();
        Gen<byte[]> corrupted = r -> {
            byte[] frame = valid.next(r).clone();
            frame[r.nextInt(frame.length)] = (byte) r.nextInt();
            return frame;
        };
        Gen<byte[]> random = Gen.byteArrays(32);
        Gen<Integer> lengths = Gen.ints(0, SMALL_LIMIT + 16);
        Gen<Integer> followers = Gen.ints(0, 6000);
        Gen<byte[]> plausibleLength = r -> {
            byte[] bytes = new byte[4 + followers.next(r)];
            Arrays.fill(bytes, (byte) r.nextInt());
            Unpooled.wrappedBuffer(bytes).setInt(0, lengths.next(r));
            return bytes;
        };
        Gen<byte[]> segment = r -> switch (r.nextInt(9)) {
            case 0, 1 -> corrupted.next(r);
            case 2 -> random.next(r);
            case 3 -> plausibleLength.next(r);
            default -> valid.next(r);
        };
        return segment.list(1, 6).map(FrameDecoderPropertyTest::concat);
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
