package org.securebroker.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class BytesTest {

    @Test
    void shouldCopyTheInputArray() {
        byte[] source = {1, 2, 3};
        Bytes bytes = Bytes.copyOf(source);
        source[0] = 9;
        assertThat(bytes.toByteArray()).containsExactly(1, 2, 3);
    }

    @Test
    void shouldReturnACopyFromToByteArray() {
        Bytes bytes = Bytes.copyOf(new byte[] {1, 2, 3});
        bytes.toByteArray()[0] = 9;
        assertThat(bytes.byteAt(0)).isEqualTo((byte) 1);
    }

    @Test
    void shouldExposeOnlyAReadOnlyView() {
        Bytes bytes = Bytes.copyOf(new byte[] {1, 2, 3});
        assertThatThrownBy(() -> bytes.asReadOnlyByteBuffer().put((byte) 0))
                .isInstanceOf(ReadOnlyBufferException.class);
    }

    @Test
    void shouldCompareByContent() {
        assertThat(Bytes.copyOf(new byte[] {1, 2})).isEqualTo(Bytes.copyOf(new byte[] {1, 2}))
                .hasSameHashCodeAs(Bytes.copyOf(new byte[] {1, 2}))
                .isNotEqualTo(Bytes.copyOf(new byte[] {1, 3}));
        assertThat(Bytes.copyOf(new byte[0])).isSameAs(Bytes.EMPTY);
    }

    @Test
    void shouldPrintOnlyTheLength() {
        Bytes secret = Bytes.utf8("hunter2");
        assertThat(secret.toString()).isEqualTo("Bytes[length=7]").doesNotContain("hunter2");
    }

    @Test
    void shouldRefuseToReadMoreThanIsReadableBeforeAllocating() {
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[] {1, 2});
        assertThatThrownBy(() -> Bytes.readFrom(buf, Integer.MAX_VALUE))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(Bytes.readFrom(buf, 2).toByteArray()).containsExactly(1, 2);
    }
}
