package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MessageTest {

    @Test
    void shouldCopyThePayloadSoLaterChangesToTheArrayDoNotLeakIn() {
        byte[] payload = {1, 2, 3};
        Message m = Message.of(payload);
        payload[0] = 9;

        assertThat(m.payload()).containsExactly(1, 2, 3);
        m.payload()[1] = 9;
        assertThat(m.payload()).containsExactly(1, 2, 3);
        assertThat(m.payloadBuffer().isReadOnly()).isTrue();
    }

    @Test
    void shouldRejectDuplicateHeadersUnencodableKeysAndSubMillisecondTtl() {
        assertThatThrownBy(() -> Message.builder().header("k", "a").header("k", "b"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Message.builder().header("bad\uD800", "a"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Message.builder().ttl(Duration.ofNanos(10)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldNotShowThePayloadInToString() {
        assertThat(Message.of("top secret").toString()).doesNotContain("top secret").contains("10 bytes");
    }
}
