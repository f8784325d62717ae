package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.cli.BrokerCli;
import org.securebroker.server.config.BrokerConfig;

/**
 * Runs the broker as a separate process ({@code broker serve}), kills it with SIGKILL while a
 * producer is publishing, restarts it, and checks that every acknowledged message is delivered
 * and that messages a consumer acknowledged before the kill do not come back.
 */
class SigkillRecoveryIT {

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryAcknowledgedMessageAcrossSigkill() throws Exception {
        Path data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("broker.yaml");
        Files.writeString(config, "dataDir: " + data + "\nlistener:\n  port: " + port + "\nadmin:\n  port: 0\n");
        String password = Files.readString(data.resolve(BrokerConfig.Layout.ADMIN_PASSWORD_FILE));
        Path ca = data.resolve(BrokerConfig.Layout.CA_CERT);

        Process broker = startBroker(config, port);
        Map<Long, String> acked = new HashMap<>();
        List<String> consumedAndAcked = new ArrayList<>();
        try (RawConnection c = RawConnection.tls(port, ca)) {
            c.login("admin", password);
            c.send(new CreateQueueFrame(3, "q", 0, "", 0));
            c.expect(OkFrame.class);
            for (int i = 0; i < 50; i++) {
                c.send(new PublishFrame(10 + i, "q", List.of(PublishMessage.of(Bytes.utf8("early-" + i)))));
                acked.put(c.expect(PublishOkFrame.class).results().get(0).offset(), "early-" + i);
            }
            c.send(new SubscribeFrame(99, "q", "s", 20));
            int consumer = c.expect(SubscribeOkFrame.class).consumerId();
            for (int i = 0; i < 20; i++) {
                DeliverFrame d = c.expect(DeliverFrame.class);
                c.send(new AckFrame(200 + i, consumer, new long[] {d.offset()}));
                consumedAndAcked.add(new String(d.payload().toByteArray(), StandardCharsets.UTF_8));
            }
            c.send(new PingFrame(300, 1));
            c.expect(PongFrame.class);
            Thread.sleep(300); // past the acknowledgement sync interval (10 ms): those acks are durable
        }
        // a producer pipelining publishes while the broker dies
        Thread killer = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            broker.destroyForcibly();
        });
        try (RawConnection c = RawConnection.tls(port, ca)) {
            c.login("admin", password);
            killer.start();
            for (int i = 0; i < 100_000 && c.isOpen(); i++) {
                c.send(new PublishFrame(1000 + i, "q", List.of(PublishMessage.of(Bytes.utf8("late-" + i)))));
                Object reply = c.next();
                if (!(reply instanceof PublishOkFrame ok)) {
                    break;
                }
                acked.put(ok.results().get(0).offset(), "late-" + i);
            }
        }
        killer.join();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();

        Process restarted = startBroker(config, port);
        try (RawConnection c = RawConnection.tls(port, ca)) {
            c.login("admin", password);
            c.send(new SubscribeFrame(5, "q", "s", 100_000));
            c.expect(SubscribeOkFrame.class);
            c.send(new PingFrame(6, 1));
            Map<Long, String> delivered = new HashMap<>();
            Thread.sleep(1000);
            c.send(new PingFrame(7, 2));
            while (true) {
                Object o = c.next();
                if (o instanceof PongFrame p && p.payload() == 2) {
                    break;
                }
                if (o instanceof DeliverFrame d) {
                    delivered.put(d.offset(), new String(d.payload().toByteArray(), StandardCharsets.UTF_8));
                }
            }
            for (Map.Entry<Long, String> e : acked.entrySet()) {
                if (consumedAndAcked.contains(e.getValue())) {
                    assertThat(delivered).as("consumed and acknowledged before the kill").doesNotContainKey(e.getKey());
                } else {
                    assertThat(delivered).as("acknowledged publish at offset " + e.getKey()).containsEntry(e.getKey(), e.getValue());
                }
            }
            assertThat(acked.size()).as("publishes acknowledged before the kill").isGreaterThan(60);
        } finally {
            restarted.destroy();
            restarted.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Process startBroker(Path config, int port) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx512m", BrokerCli.class.getName(), "serve", "--config",
                config.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("broker-" + System.nanoTime() + ".log").toFile());
        Process p = pb.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return p;
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new AssertionError("the broker exited with " + p.exitValue());
                }
                Thread.sleep(100);
            }
        }
        p.destroyForcibly();
        throw new AssertionError("the broker did not start listening within 30 s");
    }
}
