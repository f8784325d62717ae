package org.securebroker.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.frame.PingFrame;

class FrameDecoderAdmissionTest {

    private static final int LIMIT = 4096;

    /** Admits while {@code open}; otherwise keeps the callback of the refused frame. */
    private static final class Gate implements FrameAdmission {
        boolean open;
        final List<Integer> asked = new ArrayList<>();
        Runnable pending;

        @Override
        public boolean admit(int frameLength, Runnable admitted) {
            asked.add(frameLength);
            if (open) {
                return true;
            }
            pending = admitted;
            return false;
        }

        void grant() {
            Runnable r = pending;
            pending = null;
            r.run();
        }
    }

    private final Gate gate = new Gate();
    private final RecordingHandler recorder = new RecordingHandler();
    private final FrameDecoder decoder = new FrameDecoder(LIMIT, gate);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder, recorder);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static byte[] twoPings() {
        byte[] a = SampleFrames.encode(new PingFrame(1, 1));
        byte[] b = SampleFrames.encode(new PingFrame(2, 2));
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void shouldStopReadingAndPassNothingOnWhenAFrameIsRefused() {
        channel.writeInbound(Unpooled.wrappedBuffer(twoPings()));

        assertThat(recorder.frames).isEmpty();
        assertThat(decoder.isWaitingForAdmission()).isTrue();
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(gate.asked).hasSize(1);
    }

    @Test
    void shouldDecodeWhatIsBufferedInOrderOnceAdmittedAndReadAgain() {
        channel.writeInbound(Unpooled.wrappedBuffer(twoPings()));
        gate.open = true;

        gate.grant();
        channel.runPendingTasks();

        assertThat(recorder.frames).containsExactly(new PingFrame(1, 1), new PingFrame(2, 2));
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(decoder.isWaitingForAdmission()).isFalse();
        // the granted frame is not asked about again; only the second one is
        assertThat(gate.asked).hasSize(2);
    }

    @Test
    void shouldAskOncePerFrameWhileItsBodyArrivesInPieces() {
        gate.open = true;
        byte[] ping = SampleFrames.encode(new PingFrame(7, 7));
        for (int i = 0; i < ping.length; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {ping[i]}));
        }

        assertThat(recorder.frames).containsExactly(new PingFrame(7, 7));
        assertThat(gate.asked).containsExactly(ping.length - FrameCodec.LENGTH_FIELD_SIZE);
    }

    @Test
    void shouldCheckTheLengthAgainstTheLimitBeforeAskingAdmission() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0x20, 0}));

        assertThat(gate.asked).isEmpty();
        assertThat(((ProtocolException) recorder.exceptions.get(0)).errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void shouldNotReadAgainWhenTheChannelClosedWhileWaiting() {
        channel.writeInbound(Unpooled.wrappedBuffer(twoPings()));
        channel.close();

        gate.grant();
        channel.runPendingTasks();

        assertThat(recorder.frames).isEmpty();
    }
}
