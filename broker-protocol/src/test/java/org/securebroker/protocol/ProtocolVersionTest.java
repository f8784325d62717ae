package org.securebroker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProtocolVersionTest {

    @Test
    void shouldSupportVersionsOneAndTwo() {
        assertThat(ProtocolVersion.MIN).isEqualTo(1);
        assertThat(ProtocolVersion.MAX).isEqualTo(2);
        assertThat(ProtocolVersion.isSupported(1)).isTrue();
        assertThat(ProtocolVersion.isSupported(2)).isTrue();
        assertThat(ProtocolVersion.isSupported(0)).isFalse();
        assertThat(ProtocolVersion.isSupported(3)).isFalse();
    }

    @Test
    void shouldChooseVersionTwoForAClientSpeakingTwoOrLater() {
        assertThat(ProtocolVersion.negotiate(1, 2)).hasValue(2);
        assertThat(ProtocolVersion.negotiate(1, 5)).hasValue(2);
        assertThat(ProtocolVersion.negotiate(2, 2)).hasValue(2);
    }

    @Test
    void shouldChooseVersionOneForAClientSpeakingOnlyOne() {
        assertThat(ProtocolVersion.negotiate(1, 1)).hasValue(1);
        assertThat(ProtocolVersion.negotiate(0, 1)).hasValue(1);
    }

    @Test
    void shouldRefuseAClientWithoutOverlap() {
        assertThat(ProtocolVersion.negotiate(3, 4)).isEmpty();
        assertThat(ProtocolVersion.negotiate(0, 0)).isEmpty();
    }

    @Test
    void shouldRefuseToRequireAnUnsupportedVersion() {
        assertThat(ProtocolVersion.requireSupported(2)).isEqualTo(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProtocolVersion.requireSupported(3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 2]");
    }

    @Test
    void shouldRefuseAnInvertedOrOutOfRangeClientRange() {
        assertThat(ProtocolVersion.negotiate(1, 0)).isEmpty();
        assertThat(ProtocolVersion.negotiate(-1, 1)).isEmpty();
        assertThat(ProtocolVersion.negotiate(1, 0x10000)).isEmpty();
    }

    @Test
    void shouldPickTheHighestVersionInTheOverlap() {
        assertThat(ProtocolVersion.negotiate(1, 3, 2, 5)).hasValue(3);
        assertThat(ProtocolVersion.negotiate(4, 9, 2, 5)).hasValue(5);
        assertThat(ProtocolVersion.negotiate(3, 3, 1, 5)).hasValue(3);
        assertThat(ProtocolVersion.negotiate(6, 9, 1, 5)).isEmpty();
    }
}
