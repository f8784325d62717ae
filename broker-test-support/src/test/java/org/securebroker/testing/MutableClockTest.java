package org.securebroker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The test clock stands still, moves only forward and only when told, and every thread sees the move. */
class MutableClockTest {

    private static final Instant START = Instant.parse("2026-11-28T10:00:00Z");

    @Test
    void shouldStandStillUntilAdvanced() {
        MutableClock clock = MutableClock.at(START);
        assertThat(clock.instant()).isEqualTo(START);
        assertThat(clock.millis()).isEqualTo(START.toEpochMilli());
        assertThat(clock.advance(Duration.ofMillis(1500))).isEqualTo(START.plusMillis(1500));
        assertThat(clock.instant()).isEqualTo(START.plusMillis(1500));
        assertThat(clock.advanceToMillis(START.toEpochMilli() + 2000)).isEqualTo(START.plusSeconds(2));
        assertThat(clock.advanceTo(START.plusSeconds(2))).as("staying put is allowed").isEqualTo(START.plusSeconds(2));
    }

    @Test
    void shouldRefuseToMoveBackwards() {
        MutableClock clock = MutableClock.at(START);
        assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> clock.advanceTo(START.minusMillis(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only moves forward");
        assertThat(clock.instant()).isEqualTo(START);
    }

    @Test
    void shouldShareItsInstantWithViewsInOtherZones() {
        MutableClock clock = MutableClock.at(START);
        Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));
        clock.advance(Duration.ofMinutes(1));
        assertThat(paris.instant()).isEqualTo(START.plusSeconds(60));
        assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
        assertThat(clock.withZone(clock.getZone())).isSameAs(clock);
    }

    @Test
    void shouldStartAtTheSystemTimeInWholeSeconds() {
        Instant before = Instant.now().minusSeconds(1);
        Instant at = MutableClock.atSystemTime().instant();
        assertThat(at).isAfter(before).isBeforeOrEqualTo(Instant.now());
        assertThat(at.getNano()).isZero();
    }

    @Test
    void shouldLoseNoAdvanceUnderConcurrency() throws Exception {
        MutableClock clock = MutableClock.at(START);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                all.add(pool.submit(() -> {
                    for (int i = 0; i < 1000; i++) {
                        clock.advance(Duration.ofMillis(1));
                    }
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(clock.instant()).isEqualTo(START.plusMillis(4000));
    }
}
