package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The systemd unit shipped in conf/: a clean stop is success, its directories exist, systemd accepts it. */
class ServiceUnitTest {

    private static final Path UNIT = Path.of("..", "conf", "securebroker.service");

    private static List<String> lines() throws Exception {
        return Files.readAllLines(UNIT, StandardCharsets.UTF_8).stream().map(String::strip).toList();
    }

    @Test
    void shouldCountTheJvmsExitOnSigtermAsSuccess() throws Exception {
        assertThat(lines()).contains("KillSignal=SIGTERM", "SuccessExitStatus=143");
    }

    @Test
    void shouldHaveItsDataDirectoryCreatedPrivateAndWritable() throws Exception {
        assertThat(lines()).contains("StateDirectory=securebroker", "StateDirectoryMode=0700", "UMask=0077",
                "ProtectSystem=strict", "NoNewPrivileges=true", "ReadOnlyPaths=/etc/securebroker");
    }

    @Test
    void shouldCreateEveryDirectoryInItsInstallSteps() throws Exception {
        String steps = String.join("\n", lines().stream().filter(l -> l.startsWith("#   sudo")).toList());
        assertThat(steps).contains("install -d -o root -g root -m 0755 /opt/securebroker")
                .contains("install -d -o root -g securebroker -m 0750 /etc/securebroker")
                .contains("install -d -o securebroker -g securebroker -m 0700 /var/lib/securebroker")
                .contains("config check --config /etc/securebroker/broker.yaml");
        assertThat(steps.indexOf("/opt/securebroker\n")).isLessThan(steps.indexOf("/opt/securebroker/broker.jar"));
        assertThat(steps.indexOf("0750 /etc/securebroker")).isLessThan(steps.indexOf("/etc/securebroker/broker.yaml"));
    }

    @Test
    void shouldPassSystemdAnalyzeVerify(@TempDir Path dir) throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assumeTrue(Files.isExecutable(analyze), "systemd-analyze is not installed here; the unit is checked line by "
                + "line only");
        Path unit = Files.copy(UNIT, dir.resolve("securebroker.service"));
        Process p = new ProcessBuilder(analyze.toString(), "verify", unit.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        // systemd-analyze warns about settings it cannot parse but still exits 0: each warning names the file
        assertThat(output.lines().filter(l -> l.contains("securebroker.service")).toList()).as(output).isEmpty();
    }
}
