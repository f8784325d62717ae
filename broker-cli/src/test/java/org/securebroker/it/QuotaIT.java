package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerException;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.client.Subscription;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;

/**
 * Quotas through the real front end: one principal driven past each of its limits and a queue's
 * depth gets the refusal with its code and setting, each counted in
 * {@code securebroker_limit_refusals_total} and the first of each audited as
 * {@code limit.exceeded}, while another principal's publishes keep their latency.
 */
class QuotaIT {

    private static final String PASSWORD = "a long enough password";
    private static final int RATE = 20;
    /** The admin role, and for bob and alice each a role over their own queues ("bob.*", "alice.*"). */
    private static final String POLICY = "roles:\n  admin:\n    allow:\n      - actions: [\"*\"]\n        resources: [\"*\"]\n"
            + role("bob") + role("alice") + "principals:\n  bob: [bob]\n  alice: [alice]\n";

    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start() throws Exception {
        BrokerConfig.PrincipalQuota bob = new BrokerConfig.PrincipalQuota(10, 1, 2, 1, RATE, 0);
        broker = new TestBroker(dir.resolve("data"), c -> c
                .withQuotas(new BrokerConfig.Quotas(c.quotas().defaults(), Map.of("bob", bob)))
                .withQueues(new BrokerConfig.Queues(false, c.queues().ackTimeout(), c.queues().maxMessageBytes(),
                        c.queues().dedupWindow(), c.queues().depth(), List.of(new QueueDefinition("bob.small", 0, "",
                        Duration.ZERO, false, new QueueDefinition.Depth(3, 0, QueueDefinition.Overflow.REJECT)),
                        QueueDefinition.simple("bob.paced"), QueueDefinition.simple("alice.orders")))));
        UserStore.load(broker.broker().config().auth().usersFile()).update(all -> {
            all.put("alice", user("alice"));
            all.put("bob", user("bob"));
            return all;
        });
        Files.writeString(broker.broker().config().authorization().policyFile(), POLICY);
        broker.broker().reload();
    }

    private static String role(String who) {
        return "  " + who + ":\n    allow:\n      - actions: [publish, consume, create, delete]\n        resources: [\""
                + who + ".*\"]\n";
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private static User user(String name) {
        return User.of(name, PasswordSecrets.derive(PASSWORD.toCharArray(), Argon2id.OWASP_MINIMUM, 4096,
                new SecureRandom()), List.of(), Instant.now());
    }

    private BrokerClient client(String name) {
        // the users file is polled every second: retry the first login until it is picked up
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return BrokerClient.builder().address("localhost", broker.port()).trustedCertificates(broker.caCert())
                        .brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                        .connectTimeout(Duration.ofSeconds(20)).credentials(name, PASSWORD.toCharArray()).connect();
            } catch (BrokerException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    private static ErrorCode code(Throwable t) {
        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        return ((BrokerException) cause).code().orElseThrow();
    }

    private double refusals(String limit) {
        String series = "limit=\"" + limit + "\"";
        return broker.broker().metrics().scrape().lines()
                .filter(l -> l.startsWith("securebroker_limit_refusals_total{") && l.contains(series))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }

    @Test
    void shouldRefuseCountAndAuditEachQuotaWhileAnotherPrincipalKeepsItsLatency() throws Exception {
        try (BrokerClient alice = client("alice"); BrokerClient bob = client("bob")) {
            long unloaded = medianSendMicros(alice, 100);

            // queues: bob may create one
            bob.createQueue(QueueSpec.named("bob.mine"));
            assertThatThrownBy(() -> bob.createQueue(QueueSpec.named("bob.second")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("principal 'bob' has created 1 queues")
                    .hasMessageContaining("quotas.principals[bob].queues");

            // consumers: one at a time
            Subscription first = bob.subscribe("bob.mine", "one", m -> m.ack());
            assertThatThrownBy(() -> bob.subscribe("bob.mine", "two", m -> m.ack()))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("consumers");
            first.close();

            // subscriptions: two durable ones
            awaitSubscribe(bob, "bob.mine", "two").close();
            assertThatThrownBy(() -> bob.subscribe("bob.mine", "three", m -> m.ack()))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("quotas.principals[bob].subscriptions");

            // queue depth: bob.small keeps 3 messages
            for (int i = 0; i < 3; i++) {
                bob.send("bob.small", Message.of("kept " + i));
            }
            assertThatThrownBy(() -> bob.send("bob.small", Message.of("one too many")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.QUEUE_FULL))
                    .hasMessageContaining("queue 'bob.small' holds 3 messages");

            // publish rate: paced, not refused; alice meanwhile keeps her latency
            AtomicBoolean hammering = new AtomicBoolean(true);
            CompletableFuture<Void> full = CompletableFuture.runAsync(() -> {
                while (hammering.get()) {
                    try {
                        bob.send("bob.small", Message.of("still full"));
                    } catch (BrokerException e) {
                        // QUEUE_FULL each time: the load is the refusals themselves
                    }
                }
            });
            long started = System.nanoTime();
            List<CompletableFuture<?>> paced = new ArrayList<>();
            for (int i = 0; i < 3 * RATE; i++) {
                paced.add(bob.sendAsync("bob.paced", Message.of("paced " + i)));
            }
            long loaded = medianSendMicros(alice, 100);
            CompletableFuture.allOf(paced.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long pacedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            hammering.set(false);
            full.get(10, TimeUnit.SECONDS);
            // a burst of one second's worth passes at once, the other two seconds' worth is paced
            assertThat(pacedMillis).as("%d publishes at %d/s took (ms)", 3 * RATE, RATE).isGreaterThanOrEqualTo(1500);
            assertThat(loaded).as("alice's median publish latency under bob's load (us), unloaded %d", unloaded)
                    .isLessThanOrEqualTo(2 * unloaded);
        }

        for (String limit : List.of("queues", "consumers", "subscriptions", "queue-depth", "publish-rate")) {
            assertThat(refusals(limit)).as("refusals of " + limit).isGreaterThanOrEqualTo(1);
        }
        List<AuditEntry> audited = AuditTrail.await(broker.broker().config().audit().dir(), "limit.exceeded", 5);
        assertThat(audited).allSatisfy(e -> {
            assertThat(e.principal()).isEqualTo("bob");
            assertThat(e.decision()).isEqualTo("deny");
        });
        assertThat(audited).extracting(e -> String.valueOf(e.details().get("limit")))
                .as("one entry per limit and subject: the repeated QUEUE_FULL refusals are one episode")
                .containsExactlyInAnyOrder("queues", "consumers", "subscriptions", "queue-depth", "publish-rate");
        assertThat(audited).filteredOn(e -> "queue-depth".equals(e.details().get("limit"))).singleElement()
                .satisfies(e -> assertThat(e.resource()).isEqualTo("bob.small"));
    }

    /** Subscribes once the consumer count given back by an earlier close has reached the queue's thread. */
    private static Subscription awaitSubscribe(BrokerClient c, String queue, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                return c.subscribe(queue, name, m -> m.ack());
            } catch (BrokerException e) {
                if (System.nanoTime() > deadline || e.code().orElse(null) != ErrorCode.QUOTA_EXCEEDED) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private static long medianSendMicros(BrokerClient c, int count) {
        long[] micros = new long[count];
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            c.send("alice.orders", Message.of("latency " + i));
            micros[i] = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t);
        }
        Arrays.sort(micros);
        return micros[count / 2];
    }
}
