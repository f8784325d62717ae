package org.securebroker.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;

class FrameCodecEncodeValidationTest {

    @Test
    void shouldAcceptAStringOfExactly65535Bytes() {
        DeleteQueueFrame frame = new DeleteQueueFrame(1, "é".repeat(32_767) + "x");
        assertThat(SampleFrames.decodeWithPrefix(SampleFrames.encode(frame))).isEqualTo(frame);
    }

    @Test
    void shouldRejectAStringLongerThan65535Utf8Bytes() {
        // 32768 two-byte characters: few enough chars, too many bytes.
        DeleteQueueFrame frame = new DeleteQueueFrame(1, "é".repeat(32_768));
        assertThatThrownBy(() -> SampleFrames.encode(frame))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queue")
                .hasMessageContaining("65535");
    }

    @Test
    void shouldRejectAStringWithMoreThan65535Chars() {
        DeleteQueueFrame frame = new DeleteQueueFrame(1, "x".repeat(65_536));
        assertThatThrownBy(() -> SampleFrames.encode(frame))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65535");
    }

    @Test
    void shouldRejectAStringWithAnUnpairedSurrogate() {
        assertThatThrownBy(() -> SampleFrames.encode(new DeleteQueueFrame(1, "a\uD800b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> SampleFrames.encode(new DeleteQueueFrame(1, "\uDC00")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
    }

    @Test
    void shouldRejectAnOverlongHeaderKey() {
        Headers headers = Headers.builder().add("k".repeat(70_000), "v").build();
        PublishFrame frame = new PublishFrame(1, "q", List.of(
                new PublishMessage("", 0, 0, headers, Bytes.EMPTY, Bytes.EMPTY)));
        assertThatThrownBy(() -> SampleFrames.encode(frame))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header key");
    }

    @Test
    void shouldLeaveTheBufferUnchangedWhenEncodingFails() {
        ByteBuf buf = Unpooled.buffer();
        buf.writeByte(1);
        assertThatThrownBy(() -> FrameCodec.encode(new DeleteQueueFrame(1, "x".repeat(70_000)), buf))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(buf.writerIndex()).isEqualTo(1);
    }

    @Test
    void shouldRejectAFrameBeyondTheAbsoluteLimitBeforeWritingIt() {
        Bytes eightMebibytes = Bytes.copyOf(new byte[8 * 1024 * 1024]);
        PublishFrame huge = new PublishFrame(1, "q",
                Collections.nCopies(9, PublishMessage.of(eightMebibytes)));
        ByteBuf buf = Unpooled.buffer();
        assertThatThrownBy(() -> FrameCodec.encode(huge, buf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absolute limit");
        assertThat(buf.capacity()).as("nothing was written").isLessThan(1024);
    }
}
