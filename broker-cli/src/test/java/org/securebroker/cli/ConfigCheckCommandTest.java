package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.BrokerConfig.Layout;

/** {@code broker config check}: what 'serve' would refuse, found without serving. */
class ConfigCheckCommandTest {

    @TempDir
    Path tmp;
    Path data;
    Path file;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void init() throws Exception {
        data = tmp.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, 4096, new SecureRandom(), Clock.systemUTC());
        file = tmp.resolve("broker.yaml");
    }

    @Test
    void shouldPassAValidConfigurationWithoutBindingItsPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Files.writeString(file, "dataDir: data\nlistener:\n  port: " + taken.getLocalPort() + "\nadmin:\n  enabled: false\n");
            Run r = run("config", "check", "--config", file.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().strip()).isEqualTo("config OK: " + file);
        }
    }

    @Test
    void shouldListEveryProblemOfAnInvalidConfigurationAndExit2() throws Exception {
        Files.writeString(file, "dataDir: data\nlistener:\n  prot: 1\nqueues:\n  ackTimeout: forever\n");
        Run r = run("config", "check", "--config", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("config invalid: " + file + " (2 problems)");
        assertThat(r.err().indexOf("line 3: listener.prot: unknown key (did you mean listener.port?)"))
                .isPositive().isLessThan(r.err().indexOf("line 5: queues.ackTimeout"));
    }

    @Test
    void shouldNameEveryFileAStartWouldRefuseAndExit1() throws Exception {
        Files.delete(data.resolve(Layout.POLICY_FILE));
        Files.writeString(data.resolve(Layout.SERVER_CERT), "not a certificate\n");
        Files.writeString(file, "dataDir: data\n");
        Run r = run("config", "check", "--config", file.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.err()).contains("(2 problems)")
                .contains("authorization.policyFile: the authorization policy " + data.resolve(Layout.POLICY_FILE)
                        + " does not exist")
                .contains("tls: ");
        assertThat(r.out()).doesNotContain("config OK");
    }

    @Test
    void shouldNameAMissingFileReferenceWithoutItsValue() throws Exception {
        Files.writeString(file, "dataDir: data\nlistener:\n  port: ${env:SECUREBROKER_TEST_UNSET_PORT}\n");
        Run r = run("config", "check", "--config", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("line 3: listener.port: ${env:SECUREBROKER_TEST_UNSET_PORT}: the environment "
                + "variable SECUREBROKER_TEST_UNSET_PORT is not set");
    }

    @Test
    void shouldCheckTheEmbeddedDefaultsOfADataDirectory() {
        Run r = run("config", "check", "--data", data.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("config OK: (embedded defaults with data in " + data + ")");
    }
}
