package org.securebroker.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

class DurationsTest {

    @Test
    void shouldFormatDurationsAsTheConfigurationWritesThem() {
        assertThat(Durations.format(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(Durations.format(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(Durations.format(Duration.ofDays(7))).isEqualTo("7d");
        assertThat(Durations.format(Duration.ofMillis(90_061_001))).isEqualTo("1d1h1m1s1ms");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofSeconds(-5))).isEqualTo("-5s");
    }

    @Test
    void shouldParseSingleAndCombinedUnits() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse(" 10 s ")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("2m500ms")).isEqualTo(Duration.ofMillis(120_500));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void shouldRefuseWhatIsNotADurationNamingTheForms() {
        for (String bad : new String[] {"", "10", "PT1H", "1x", "30m1h", "1h1h", "1h 30", "-5s", "h", "999999999999999999d"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> Durations.parse("1x")).hasMessageContaining("1h30m");
    }

    @Test
    void shouldReadBackWhatItWrites() {
        PropertyCheck.forAll(1000, Gen.longs(0, 400L * 24 * 3600 * 1000).map(Duration::ofMillis), d ->
                assertThat(Durations.parse(Durations.format(d))).isEqualTo(d));
    }
}
