package org.securebroker.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigErrorsTest {

    @TempDir
    Path dir;

    private ConfigException problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "test.yaml", dir.resolve("data"));
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void shouldListProblemsInTheOrderOfTheirLines() {
        ConfigException e = problems("""
                colour: blue
                queues:
                  ackTimeout: forever
                listener:
                  port: 70000
                """);
        assertThat(e.problems()).satisfiesExactly(
                p -> assertThat(p).startsWith("line 1: colour"),
                p -> assertThat(p).startsWith("line 3: queues.ackTimeout"),
                p -> assertThat(p).startsWith("line 5: listener.port"));
        assertThat(e.getMessage().indexOf("line 1:")).isLessThan(e.getMessage().indexOf("line 3:"));
        assertThat(e.getMessage().indexOf("line 3:")).isLessThan(e.getMessage().indexOf("line 5:"));
    }

    @Test
    void shouldSuggestTheClosestKnownKeyAtThatLevel() {
        ConfigException e = problems("""
                listener:
                  prot: 9443
                  maxConection: 10
                queues:
                  ackTimeOut: 10s
                """);
        assertThat(e.problems()).satisfiesExactly(
                p -> assertThat(p).startsWith("line 2: listener.prot: unknown key (did you mean listener.port?)"),
                p -> assertThat(p).startsWith("line 3: listener.maxConection: unknown key (did you mean "
                        + "listener.maxConnections?)"),
                p -> assertThat(p).startsWith("line 5: queues.ackTimeOut: unknown key (did you mean queues.ackTimeout?)"));
    }

    @Test
    void shouldNotSuggestAKeyThatIsNotClose() {
        ConfigException e = problems("listener:\n  colour: blue\n");
        assertThat(e.problems()).singleElement().asString().contains("unknown key; allowed here:")
                .doesNotContain("did you mean");
    }

    @Test
    void shouldPrintDurationRangesAsTheConfigurationWritesThem() {
        assertThatThrownBy(() -> ConfigLoader.parse("listener:\n  authTimeout: 1h\n", "test.yaml", dir.resolve("data")))
                .hasMessageContaining("allowed 1s to 5m");
    }
}
