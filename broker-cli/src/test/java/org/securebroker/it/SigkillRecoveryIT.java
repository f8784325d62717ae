package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.BrokerConfig;

/**
 * Runs the broker as a separate process ({@code broker serve}), kills it with SIGKILL while a
 * producer is publishing, restarts it, and checks that every acknowledged message is delivered
 * and that messages a consumer acknowledged before the kill do not come back. Its audit log
 * fails verification while the killed broker is down, even with {@code --allow-unsigned-tail},
 * and is sealed by a recovery checkpoint once the broker runs again.
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
            // Those acks must be durable before the kill. A new subscription is created durably before its
            // SUBSCRIBE_OK (the queue's thread waits for the subscription journal's fsync), and the journal is
            // written in order, behind the acks the queue's thread recorded before: its answer means they are on disk.
            c.send(new SubscribeFrame(300, "q", "barrier", 0));
            c.expect(SubscribeOkFrame.class);
        }
        // a producer publishing while the broker dies: killed once it is well under way
        CountDownLatch underWay = new CountDownLatch(100);
        Thread killer = new Thread(() -> {
            try {
                underWay.await();
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
                underWay.countDown();
            }
        } finally {
            while (underWay.getCount() > 0) { // the producer stopped early: the killer must not wait forever
                underWay.countDown();
            }
        }
        killer.join();
        assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        CliRun down = verifyAudit(data, "--allow-unsigned-tail");
        assertThat(down.exit()).as("a killed broker's log is not excused: " + down.out()).isEqualTo(1);
        assertThat(down.out()).contains("no broker holds");

        Process restarted = startBroker(config, port);
        CliRun up = verifyAudit(data, "--allow-unsigned-tail");
        assertThat(up.exit()).as("sealed by the restarted broker: " + up.out()).isIn(0, 3);
        assertThat(AuditTrail.entries(data.resolve(BrokerConfig.Layout.AUDIT_DIR), "checkpoint"))
                .as("the recovery checkpoint the restart wrote first")
                .anyMatch(e -> Boolean.TRUE.equals(e.details().get("recovered")));
        try (RawConnection c = RawConnection.tls(port, ca)) {
            c.login("admin", password);
            c.send(new SubscribeFrame(5, "q", "s", 100_000));
            c.expect(SubscribeOkFrame.class);
            Map<Long, String> delivered = new HashMap<>();
            Set<Long> expected = new HashSet<>();
            acked.forEach((offset, payload) -> {
                if (!consumedAndAcked.contains(payload)) {
                    expected.add(offset);
                }
            });
            // every acknowledged publish arrives, and then a barrier from the queue's thread (see above) collects
            // whatever else it has delivered by then
            while (!delivered.keySet().containsAll(expected)) {
                DeliverFrame d;
                try {
                    d = c.expect(DeliverFrame.class);
                } catch (AssertionError silence) {
                    Set<Long> missing = new TreeSet<>(expected);
                    missing.removeAll(delivered.keySet());
                    throw new AssertionError("acknowledged publishes not delivered after the restart: offsets " + missing,
                            silence);
                }
                delivered.put(d.offset(), new String(d.payload().toByteArray(), StandardCharsets.UTF_8));
            }
            c.send(new SubscribeFrame(6, "q", "barrier", 0));
            while (true) {
                Object o = c.next();
                if (o instanceof SubscribeOkFrame ok && ok.correlationId() == 6) {
                    break;
                }
                DeliverFrame d = (DeliverFrame) o;
                delivered.put(d.offset(), new String(d.payload().toByteArray(), StandardCharsets.UTF_8));
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

    /** {@code broker audit verify} of the data directory's audit log, in this JVM (the broker runs in its own). */
    private static CliRun verifyAudit(Path data, String... more) {
        Path auditDir = data.resolve(BrokerConfig.Layout.AUDIT_DIR);
        List<String> args = new ArrayList<>(List.of("audit", "verify", auditDir.toString(), "--key",
                data.resolve(BrokerConfig.Layout.AUDIT_PUBLIC_KEY).toString()));
        args.addAll(List.of(more));
        return CliRun.of("", args.toArray(String[]::new));
    }

    private Process startBroker(Path config, int port) throws Exception {
        return BrokerProcess.start(config, port, dir.resolve("broker-" + System.nanoTime() + ".log"), "-Xmx512m");
    }
}
