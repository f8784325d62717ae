package org.securebroker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProtocolLimitsTest {

    @Test
    void shouldHaveTheDocumentedSizes() {
        assertThat(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE).isEqualTo(1_114_112);
        assertThat(ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE).isEqualTo(65_536);
        assertThat(ProtocolLimits.MIN_FRAME_SIZE_LIMIT).isEqualTo(4_096);
        assertThat(ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE).isEqualTo(67_108_864);
    }

    @Test
    void shouldNegotiateTheSmallerOfClientAndServerLimits() {
        assertThat(ProtocolLimits.negotiateMaxFrameSize(8_192, 1_000_000)).isEqualTo(8_192);
        assertThat(ProtocolLimits.negotiateMaxFrameSize(0xFFFF_FFFFL, 1_000_000)).isEqualTo(1_000_000);
    }

    @Test
    void shouldRejectAClientLimitBelowTheMinimum() {
        assertThatThrownBy(() -> ProtocolLimits.negotiateMaxFrameSize(4_095, 1_000_000))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL_ERROR))
                .hasMessageContaining("4095");
    }

    @Test
    void shouldRejectAServerLimitOutsideTheAllowedRange() {
        assertThatThrownBy(() -> ProtocolLimits.negotiateMaxFrameSize(8_192, 100))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProtocolLimits.requireValidFrameSizeLimit(64 * 1024 * 1024 + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
