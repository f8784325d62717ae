package org.securebroker.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.Frame;

class FrameEncoderTest {

    @Test
    void shouldWriteExactlyTheCodecEncodingOfEveryFrame() {
        EmbeddedChannel channel = new EmbeddedChannel(FrameEncoder.INSTANCE);
        for (Frame frame : SampleFrames.all()) {
            assertThat(channel.writeOutbound(frame)).isTrue();
            ByteBuf written = channel.readOutbound();
            try {
                assertThat(ByteBufUtil.getBytes(written)).isEqualTo(SampleFrames.encode(frame));
            } finally {
                written.release();
            }
        }
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void shouldRoundTripThroughEncoderAndDecoderPipelines() {
        EmbeddedChannel client = new EmbeddedChannel(FrameEncoder.INSTANCE);
        RecordingHandler recorder = new RecordingHandler();
        FrameDecoder decoder = new FrameDecoder(1 << 20);
        decoder.setVersion(2);
        EmbeddedChannel server = new EmbeddedChannel(decoder, recorder);
        for (Frame frame : SampleFrames.all()) {
            client.writeOutbound(frame);
        }
        ByteBuf chunk;
        while ((chunk = client.readOutbound()) != null) {
            server.writeInbound(chunk);
        }
        assertThat(recorder.frames).containsExactlyElementsOf(SampleFrames.all());
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }

    @Test
    void shouldFailTheWriteOfAFrameThatViolatesAWireLimit() {
        EmbeddedChannel channel = new EmbeddedChannel(FrameEncoder.INSTANCE);
        ChannelFuture write = channel.writeOneOutbound(new DeleteQueueFrame(1, "x".repeat(70_000)));
        channel.flushOutbound();
        assertThat(write.cause()).isInstanceOf(EncoderException.class)
                .hasCauseInstanceOf(IllegalArgumentException.class);
        assertThat((Object) channel.readOutbound()).isNull();
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldBeSharable() {
        assertThat(FrameEncoder.INSTANCE.isSharable()).isTrue();
    }
}
