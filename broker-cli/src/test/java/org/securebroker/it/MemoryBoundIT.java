package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.cli.BrokerCli;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerException;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.SendBufferPolicy;
import org.securebroker.client.SubscribeOptions;
import org.securebroker.client.Subscription;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.BrokerConfig;

/**
 * The broker in its own JVM with a 256 MiB heap, 64 producers with 1,000 publishes in flight each
 * (1 KiB to 1 MiB) and 64 consumers that subscribe with credit 1,000 and then stop reading: the
 * broker must slow or refuse the producers rather than run out of memory, and once consumers read
 * again every acknowledged publish must be delivered.
 */
class MemoryBoundIT {

    private static final int PRODUCERS = 64;
    private static final int STALLED_CONSUMERS = 64;
    private static final int QUEUES = 4;
    private static final Duration LOAD = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void shouldStayAliveAndDeliverEveryAcknowledgedPublishUnderLoadWithStalledConsumers() throws Exception {
        Path data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("broker.yaml");
        Files.writeString(config, "dataDir: " + data + "\nlistener:\n  host: 127.0.0.1\n  port: " + port
                + "\nadmin:\n  port: 0\n");
        String password = Files.readString(data.resolve(BrokerConfig.Layout.ADMIN_PASSWORD_FILE)).trim();
        Path ca = data.resolve(BrokerConfig.Layout.CA_CERT);
        Path log = dir.resolve("broker.log");
        Process broker = startBroker(config, port, log);
        List<BrokerClient> clients = new ArrayList<>();
        List<RawConnection> stalled = new ArrayList<>();
        try {
            BrokerClient admin = client(port, ca, password, 10);
            clients.add(admin);
            for (int q = 0; q < QUEUES; q++) {
                admin.createQueue(QueueSpec.named("load-" + q));
            }
            for (int i = 0; i < STALLED_CONSUMERS; i++) {
                RawConnection c = RawConnection.tls(port, ca);
                stalled.add(c);
                c.login("admin", password);
                c.send(new SubscribeFrame(10, "load-" + (i % QUEUES), "s", 1000));
                c.stopReading();
            }
            // a few payload arrays shared by every message (a message copies its payload once, when built)
            int[] sizes = {1024, 16 * 1024, 128 * 1024, 1024 * 1024 - 4096};
            Message[] messages = new Message[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                messages[i] = Message.of(new byte[sizes[i]]);
            }
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicLong refused = new AtomicLong();
            AtomicLong otherFailures = new AtomicLong();
            AtomicLong outstanding = new AtomicLong();
            List<Thread> producers = new ArrayList<>();
            long until = System.nanoTime() + LOAD.toNanos();
            for (int p = 0; p < PRODUCERS; p++) {
                BrokerClient producer = client(port, ca, password, 1000);
                clients.add(producer);
                String queue = "load-" + (p % QUEUES);
                Thread t = new Thread(() -> {
                    for (long n = 0; System.nanoTime() < until; n++) {
                        // mostly small messages, one in 16 of a MiB: large enough to press memory, small enough on disk
                        Message m = messages[n % 16 == 0 ? 3 : (int) (n % 3)];
                        try {
                            outstanding.incrementAndGet();
                            producer.sendAsync(queue, m).whenComplete((receipt, error) -> {
                                outstanding.decrementAndGet();
                                if (error == null) {
                                    acknowledged.add(receipt.queue() + "@" + receipt.offset());
                                } else if (error instanceof BrokerException b && b.retriable()) {
                                    refused.incrementAndGet();
                                } else {
                                    otherFailures.incrementAndGet();
                                }
                            });
                        } catch (BrokerException e) {
                            outstanding.decrementAndGet();
                            refused.incrementAndGet();
                        }
                    }
                }, "producer-" + p);
                producers.add(t);
                t.start();
            }
            for (Thread t : producers) {
                t.join(LOAD.toMillis() + 60_000);
            }
            // every send settles: acknowledged, refused or timed out (the client's request timeout)
            Awaitility.await("every send settled").atMost(60, TimeUnit.SECONDS)
                    .until(() -> outstanding.get() == 0 || !broker.isAlive());
            for (BrokerClient c : clients.subList(1, clients.size())) {
                c.close();
            }
            assertThat(broker.isAlive()).as("the broker survived the load").isTrue();
            assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError").doesNotContain("FATAL");
            assertThat(acknowledged).as("publishes acknowledged").isNotEmpty();
            assertThat(otherFailures).as("failures other than retriable refusals").hasValue(0);

            for (RawConnection c : stalled) {
                c.close();
            }
            Set<String> delivered = ConcurrentHashMap.newKeySet();
            List<Subscription> subscriptions = new ArrayList<>();
            for (int q = 0; q < QUEUES; q++) {
                subscriptions.add(admin.subscribe("load-" + q, "s", SubscribeOptions.builder().prefetch(200).build(), m -> {
                    delivered.add(m.queue() + "@" + m.offset());
                    m.ack();
                }));
            }
            try {
                Awaitility.await("every acknowledged publish delivered").atMost(90, TimeUnit.SECONDS)
                        .pollInterval(200, TimeUnit.MILLISECONDS).until(() -> delivered.containsAll(acknowledged));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                Set<String> missing = new java.util.TreeSet<>(acknowledged);
                missing.removeAll(delivered);
                throw new AssertionError("acknowledged " + acknowledged.size() + ", delivered " + delivered.size()
                        + ", missing " + missing.size() + " (first: " + missing.stream().limit(10).toList()
                        + "); broker alive: " + broker.isAlive(), e);
            }
            for (Subscription s : subscriptions) {
                s.close();
            }
            assertThat(broker.isAlive()).isTrue();
            System.out.println("MemoryBoundIT: acknowledged " + acknowledged.size() + ", refused " + refused.get()
                    + ", delivered " + delivered.size());
        } finally {
            for (RawConnection c : stalled) {
                c.close();
            }
            for (BrokerClient c : clients) {
                c.close();
            }
            broker.destroy();
            broker.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static BrokerClient client(int port, Path ca, String password, int inFlight) {
        return BrokerClient.builder().address("127.0.0.1", port).trustedCertificates(ca)
                .credentials("admin", password.toCharArray()).withoutSignatureVerification()
                .maxInFlightSends(inFlight).whenSendBufferFull(SendBufferPolicy.block(Duration.ofSeconds(30)))
                .requestTimeout(Duration.ofSeconds(60)).connect();
    }

    private Process startBroker(Path config, int port, Path log) throws Exception {
        return BrokerProcess.start(config, port, log, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError",
                // the broker's own logging (the test classpath's quiets it), so the log shows what a real one would
                "-Dlogback.configurationFile=" + Path.of("..", "broker-server", "src", "main", "resources", "logback.xml")
                        .toAbsolutePath());
    }
}
