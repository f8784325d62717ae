package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

class RefreshScheduleTest {

    private static final long NOW = 1_800_000_000_000L;

    private static long refreshAfter(Duration lifetime, Duration minimum) {
        return RefreshSchedule.refreshDelay(NOW, NOW + lifetime.toMillis(), minimum).toMillis();
    }

    @Test
    void shouldRefreshAfterEightyPercentOfALongLifetime() {
        assertThat(refreshAfter(Duration.ofHours(1), Duration.ZERO)).isEqualTo(Duration.ofMinutes(48).toMillis());
    }

    @Test
    void shouldRefreshAtLeastFiveSecondsBeforeExpiry() {
        assertThat(refreshAfter(Duration.ofSeconds(20), Duration.ZERO)).isEqualTo(15_000);
    }

    @Test
    void shouldRefreshAtOnceWhenLessThanFiveSecondsRemainOrTheExpiryPassed() {
        assertThat(refreshAfter(Duration.ofSeconds(3), Duration.ZERO)).isZero();
        assertThat(refreshAfter(Duration.ofSeconds(-10), Duration.ZERO)).isZero();
    }

    @Test
    void shouldWaitTheMinimumIntervalAfterARefreshEvenForVeryShortLifetimes() {
        assertThat(refreshAfter(Duration.ofSeconds(2), RefreshSchedule.MIN_INTERVAL)).isEqualTo(1_000);
        assertThat(refreshAfter(Duration.ofSeconds(-2), RefreshSchedule.MIN_INTERVAL)).isEqualTo(1_000);
    }

    @Test
    void shouldRetryAfterOneSecondDoublingUpToTheCap() {
        long expiry = NOW + Duration.ofHours(1).toMillis();

        assertThat(RefreshSchedule.retryDelay(1, NOW, expiry)).contains(Duration.ofSeconds(1));
        assertThat(RefreshSchedule.retryDelay(2, NOW, expiry)).contains(Duration.ofSeconds(2));
        assertThat(RefreshSchedule.retryDelay(3, NOW, expiry)).contains(Duration.ofSeconds(4));
        assertThat(RefreshSchedule.retryDelay(40, NOW, expiry)).contains(RefreshSchedule.MAX_RETRY);
    }

    @Test
    void shouldRetryForTheLastTimeJustBeforeExpiryAndThenStop() {
        long expiry = NOW + 1_700;

        assertThat(RefreshSchedule.retryDelay(3, NOW, expiry)).contains(Duration.ofMillis(1_200));
        assertThat(RefreshSchedule.retryDelay(4, NOW + 1_200, expiry)).isEmpty();
        assertThat(RefreshSchedule.retryDelay(1, expiry + 1, expiry)).isEmpty();
    }

    @Test
    void shouldNeverScheduleInThePastNorRetryAfterTheSessionExpired() {
        Gen<long[]> cases = random -> new long[] {
            Gen.longs(-Duration.ofDays(2).toMillis(), Duration.ofDays(2).toMillis()).next(random),
            Gen.ints(1, 64).next(random),
            Gen.longs(0, 2_000).next(random)};
        PropertyCheck.forAll(2_000, cases, c -> {
            long expiry = NOW + c[0];
            Duration minimum = Duration.ofMillis(c[2]);
            long delay = RefreshSchedule.refreshDelay(NOW, expiry, minimum).toMillis();
            assertThat(delay).isGreaterThanOrEqualTo(c[2]);
            if (c[0] - RefreshSchedule.MIN_LEAD.toMillis() >= c[2]) {
                assertThat(NOW + delay).isLessThanOrEqualTo(expiry - RefreshSchedule.MIN_LEAD.toMillis());
            }
            RefreshSchedule.retryDelay((int) c[1], NOW, expiry).ifPresent(retry -> {
                assertThat(retry.toMillis()).isPositive();
                assertThat(NOW + retry.toMillis()).isLessThanOrEqualTo(expiry - RefreshSchedule.RETRY_MARGIN.toMillis());
            });
        });
    }
}
