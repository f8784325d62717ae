package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

class BrokerExceptionTest {

    @Test
    void shouldTakeRetriabilityFromAKnownWireCode() {
        BrokerException e = BrokerException.fromWire(41, "disk full");

        assertThat(e.code()).contains(ErrorCode.STORE_FULL);
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).isEqualTo("STORE_FULL (41): disk full");
    }

    @Test
    void shouldKeepAnyUnknownWireCodeAsANonRetriableNumber() {
        PropertyCheck.forAll(500, Gen.ints(0, 0xFFFF), code -> {
            BrokerException e = BrokerException.fromWire(code, "x");

            assertThat(e.rawCode()).isEqualTo(code);
            assertThat(e.code()).isEqualTo(ErrorCode.fromCode(code));
            assertThat(e.retriable()).isEqualTo(ErrorCode.fromCode(code).map(ErrorCode::retriable).orElse(false));
        });
    }

    @Test
    void shouldKeepCodeAndRetriabilityWhenRethrownOnTheCallersThread() {
        BrokerException original = new BrokerException(ErrorCode.OVERLOADED, true, "full", null);

        BrokerException rethrown = original.rethrownHere();

        assertThat(rethrown.code()).contains(ErrorCode.OVERLOADED);
        assertThat(rethrown.retriable()).isTrue();
        assertThat(rethrown.getMessage()).isEqualTo(original.getMessage());
        assertThat(rethrown.getCause()).isSameAs(original);
    }
}
