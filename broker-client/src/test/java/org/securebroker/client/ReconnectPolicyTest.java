package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

class ReconnectPolicyTest {

    @Test
    void shouldWaitBetweenHalfAndAllOfTheDoubledDelayCappedAtTheMaximum() {
        PropertyCheck.forAll(200, Gen.ints(1, 1000), attempt -> {
            ReconnectPolicy policy = ReconnectPolicy.exponentialBackoff(Duration.ofMillis(100),
                    Duration.ofSeconds(5), new SplittableRandom(attempt));
            long base = Math.min(5000, 100L << Math.min(attempt - 1, 20));

            Duration delay = policy.delayBeforeAttempt(attempt).orElseThrow();

            assertThat(delay).isBetween(Duration.ofMillis(base / 2), Duration.ofMillis(base));
        });
    }

    @Test
    void shouldRetryForeverByDefault() {
        assertThat(ReconnectPolicy.defaultPolicy().delayBeforeAttempt(Integer.MAX_VALUE))
                .hasValueSatisfying(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(5)));
    }

    @Test
    void shouldGiveUpAfterTheAttemptLimit() {
        ReconnectPolicy policy = ReconnectPolicy.exponentialBackoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .limitAttempts(3);

        assertThat(policy.delayBeforeAttempt(3)).isPresent();
        assertThat(policy.delayBeforeAttempt(4)).isEmpty();
        assertThat(ReconnectPolicy.never().delayBeforeAttempt(1)).isEmpty();
    }
}
