package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.auth.Argon2id;

/** SIGHUP on 'broker serve': a reload that says so, or, when the process ignores SIGHUP, a warning at start. */
class SighupIT {

    private static final String IGNORED = "SIGHUP is ignored by this process";

    @TempDir
    Path dir;
    Path config;
    int port;

    @BeforeEach
    void init() throws Exception {
        Path data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        config = dir.resolve("broker.yaml");
        Files.writeString(config, "dataDir: " + data + "\nlistener:\n  port: " + port + "\nadmin:\n  enabled: false\n");
    }

    @Test
    void shouldLogThatSighupReloads() throws Exception {
        Path log = dir.resolve("broker.log");
        // the broker's own log configuration (INFO), not the tests' (WARN)
        Process broker = BrokerProcess.start(config, port, log, "-Xmx256m", "-Dlogback.configurationFile=logback.xml");
        try {
            assertThat(read(log)).doesNotContain(IGNORED);
            // printed once the broker has started: a SIGHUP before finds nothing to reload yet
            Awaitility.await("the broker started").atMost(30, TimeUnit.SECONDS)
                    .until(() -> read(log).contains("Broker listening on"));
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(broker.pid())).start();
            assertThat(kill.waitFor()).isZero();
            try {
                Awaitility.await("the reload logged").atMost(20, TimeUnit.SECONDS)
                        .until(() -> read(log).contains("SIGHUP received: reloading") && read(log).contains("reloaded"));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("no reload logged after SIGHUP:\n" + read(log), e);
            }
            assertThat(broker.isAlive()).isTrue();
        } finally {
            stop(broker);
        }
    }

    @Test
    void shouldWarnAtStartWhenSighupIsIgnored() throws Exception {
        Path nohup = Path.of("/usr/bin/nohup");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(nohup), "no " + nohup + " to start under");
        Path log = dir.resolve("broker-nohup.log");
        Process broker = BrokerProcess.start(List.of(nohup.toString()), config, port, log, "-Xmx256m");
        try {
            try {
                Awaitility.await("the warning").atMost(10, TimeUnit.SECONDS).until(() -> read(log).contains(IGNORED));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("no warning under nohup:\n" + read(log), e);
            }
            assertThat(read(log)).contains("reload with 'broker reload'");
        } finally {
            stop(broker);
        }
    }

    private static String read(Path log) throws java.io.IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    private static void stop(Process broker) throws InterruptedException {
        broker.destroy();
        if (!broker.waitFor(30, TimeUnit.SECONDS)) {
            broker.destroyForcibly();
        }
    }
}
