package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AuthFrame;

class PasswordMechanismTest extends ClientTestSupport {

    @Test
    void shouldPickScramByDefaultWhenTheBrokerOffersIt() {
        broker.mechanisms("PLAIN", "SCRAM-SHA-256");

        connect();

        assertThat(broker.authFrames()).extracting(AuthFrame::mechanism).containsExactly("SCRAM-SHA-256");
    }

    @Test
    void shouldFallBackToPlainByDefaultWhenScramIsNotOffered() {
        broker.mechanisms("PLAIN");

        connect();

        assertThat(broker.authFrames()).extracting(AuthFrame::mechanism).containsExactly("PLAIN");
    }

    @Test
    void shouldUsePlainWhenPinnedEvenIfScramIsOffered() {
        broker.mechanisms("SCRAM-SHA-256", "PLAIN");

        connect(builder().passwordMechanism(PasswordMechanism.PLAIN));

        assertThat(broker.authFrames()).extracting(AuthFrame::mechanism).containsExactly("PLAIN");
    }

    @Test
    void shouldRefuseABrokerWithoutScramWhenScramIsPinned() {
        broker.mechanisms("PLAIN");

        assertThatThrownBy(() -> builder().passwordMechanism(PasswordMechanism.SCRAM_SHA_256).connect())
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.UNSUPPORTED_MECHANISM);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("[PLAIN]").contains("SCRAM-SHA-256");
                });
        assertThat(broker.authFrames()).as("the password was not sent").isEmpty();
    }

    @Test
    void shouldRejectAPasswordMechanismWithoutCredentials() {
        assertThatThrownBy(() -> builderWithoutCredentials().tokenSupplier(() -> "t")
                .passwordMechanism(PasswordMechanism.SCRAM_SHA_256).connect())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("passwordMechanism");
    }
}
