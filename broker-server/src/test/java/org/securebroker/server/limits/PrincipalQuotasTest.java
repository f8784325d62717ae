package org.securebroker.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.testing.MutableClock;

/** Publish pacing over the injected clock: exact waits, the burst, and the byte rate. */
class PrincipalQuotasTest {

    private final MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
    private final List<Refusal> reported = new CopyOnWriteArrayList<>();

    private PrincipalQuotas quotas(long rate, long byteRate) {
        PrincipalQuotas q = new PrincipalQuotas(clock, new Episodes(clock, Duration.ofMinutes(1)),
                new BrokerConfig.Quotas(new BrokerConfig.PrincipalQuota(0, 0, 0, 0, rate, byteRate), Map.of()));
        q.events(reported::add);
        return q;
    }

    @Test
    void shouldLetABurstOfOneSecondThroughThenPaceAtTheRate() {
        PrincipalQuotas q = quotas(10, 0);
        for (int i = 0; i < 10; i++) {
            assertThat(q.publishDelayNanos("bob", 1, 100)).isZero();
        }

        assertThat(q.publishDelayNanos("bob", 1, 100)).isEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(q.publishDelayNanos("bob", 1, 100)).isEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(reported).extracting(Refusal::limit, Refusal::firstOfEpisode)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("publish-rate", true),
                        org.assertj.core.groups.Tuple.tuple("publish-rate", false));
    }

    @Test
    void shouldRefillAtTheRateAsTheClockMoves() {
        PrincipalQuotas q = quotas(10, 0);
        for (int i = 0; i < 12; i++) {
            q.publishDelayNanos("bob", 1, 0);
        }

        clock.advance(Duration.ofMillis(1200));

        assertThat(q.publishDelayNanos("bob", 1, 0)).isZero();
        assertThat(q.publishDelayNanos("alice", 1, 0)).as("each principal has its own buckets").isZero();
    }

    @Test
    void shouldPaceBytesApartFromMessages() {
        PrincipalQuotas q = quotas(0, 1000);
        assertThat(q.publishDelayNanos("bob", 1, 1000)).isZero();

        assertThat(q.publishDelayNanos("bob", 1, 500)).isEqualTo(Duration.ofMillis(500).toNanos());
        assertThat(reported).extracting(Refusal::limit, Refusal::setting)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("publish-byte-rate", "quotas.publishByteRate"));
    }

    @Test
    void shouldNeverPaceAnUnlimitedPrincipal() {
        PrincipalQuotas q = quotas(0, 0);
        for (int i = 0; i < 10_000; i++) {
            assertThat(q.publishDelayNanos("bob", 100, 1 << 20)).isZero();
        }
        assertThat(reported).isEmpty();
    }
}
