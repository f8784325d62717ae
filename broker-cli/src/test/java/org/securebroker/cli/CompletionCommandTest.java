package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompletionCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {String.valueOf(exit), out.toString(), err.toString()};
    }

    @Test
    void shouldPrintABashCompletionOfEveryCommandAndOption() {
        String[] r = run("completion", "bash");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("complete -F _complete_broker")
                .contains("serve").contains("reload").contains("config").contains("check")
                .contains("--config").contains("--password-stdin");
    }

    @Test
    void shouldPrintAScriptBashAccepts(@TempDir Path dir) throws Exception {
        Path bash = Path.of("/bin/bash");
        assumeTrue(Files.isExecutable(bash), "no /bin/bash to check the script's syntax with");
        Path script = Files.writeString(dir.resolve("broker.bash"), run("completion", "bash")[1]);
        Process p = new ProcessBuilder(bash.toString(), "-n", script.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(output).isZero();
    }

    @Test
    void shouldPrintAScriptZshLoadsThroughBashcompinit() {
        String[] r = run("completion", "zsh");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("ZSH_VERSION").contains("bashcompinit").contains("complete -F _complete_broker");
    }

    @Test
    void shouldRefuseAnotherShell() {
        String[] r = run("completion", "fish");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("fish");
    }
}
