package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerClientBuilder;
import org.securebroker.client.BrokerException;
import org.securebroker.client.Message;
import org.securebroker.client.QueueInfo;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.client.Subscription;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.cli.BrokerCli;
import org.securebroker.server.tls.LocalCa;
import org.securebroker.server.config.BrokerConfig;

/**
 * Authorization and its audit trail through the real front end: every command checked against
 * the policy in force, a revoked grant ending a live consumer within a second, and a scripted
 * session leaving exactly the expected audit entries.
 */
class AuthorizationIT {

    private static final String PASSWORD = "a long enough password";
    private static final String POLICY = """
            roles:
              admin:
                allow:
                  - actions: ["*"]
                    resources: ["*"]
              orders-producer:
                allow:
                  - actions: [publish, create]
                    resources: ["orders.*"]
              orders-consumer:
                allow:
                  - actions: [consume]
                    resources: ["orders.*"]
                deny:
                  - actions: [consume]
                    resources: [orders.secret]
              auditor:
                allow:
                  - actions: [read-audit]
                    resources: [audit]
            principals:
              bob: [orders-consumer]
            tokenRoles:
              idp-orders-readers: [orders-consumer]
            """;

    @TempDir
    Path dir;

    private TestBroker broker;
    private Path policyFile;

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> c.withAudit(new BrokerConfig.Audit(c.audit().dir(),
                c.audit().privateKey(), c.audit().publicKey(), c.audit().checkpointEntries(),
                c.audit().checkpointInterval(), c.audit().rotateBytes(), c.audit().rotateAge(), Duration.ofHours(1)))
                .withAuth(c.auth().withJwt(DevTokens.config(c.dataDir().resolve(BrokerConfig.Layout.JWT_DEV_PUBLIC_KEY)))));
        UserStore users = UserStore.load(broker.broker().config().auth().usersFile());
        users.update(all -> {
            all.put("alice", user("alice", List.of("orders-producer")));
            all.put("bob", user("bob", List.of()));
            return all;
        });
        // the broker audits the set-up's users once it picks the file up: before the scripted session begins
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> audit().stream().filter(e ->
                "admin.user.added".equals(e.type()) && List.of("alice", "bob").contains(e.resource())).count() == 2);
        policyFile = broker.broker().config().authorization().policyFile();
        Files.writeString(policyFile, POLICY);
        broker.broker().reload();
        try (BrokerClient admin = client("admin", broker.adminPassword())) {
            admin.createQueue(QueueSpec.named("orders.eu"));
            admin.createQueue(QueueSpec.named("orders.secret"));
            admin.createQueue(QueueSpec.named("billing"));
        }
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private static User user(String name, List<String> roles) {
        return User.of(name, PasswordSecrets.derive(PASSWORD.toCharArray(), Argon2id.OWASP_MINIMUM, 4096, new SecureRandom()),
                roles, Instant.now());
    }

    private BrokerClientBuilder builder() {
        return BrokerClient.builder().address("localhost", broker.port()).trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys())
                .reconnect(ReconnectPolicy.never()).connectTimeout(Duration.ofSeconds(20));
    }

    private BrokerClient client(String user, String password) {
        return builder().credentials(user, password.toCharArray()).connect();
    }

    private List<AuditEntry> audit() throws Exception {
        try (Stream<AuditEntry> entries = AuditReader.entries(broker.broker().config().audit().dir(),
                AuditReader.Filter.ALL)) {
            return entries.filter(e -> !e.isCheckpoint()).toList();
        }
    }

    private long lastSeq() throws Exception {
        List<AuditEntry> all = audit();
        return all.isEmpty() ? 0 : all.get(all.size() - 1).seq();
    }

    private static ErrorCode code(Throwable t) {
        return ((BrokerException) t).code().orElseThrow();
    }

    @Test
    void shouldAuthorizeEveryCommandAgainstThePolicy() throws Exception {
        try (BrokerClient alice = client("alice", PASSWORD); BrokerClient bob = client("bob", PASSWORD)) {
            alice.send("orders.eu", Message.of("allowed"));
            assertThatThrownBy(() -> alice.send("billing", Message.of("no grant")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED))
                    .hasMessageContaining("'alice' is not authorized to publish to queue 'billing'");
            assertThatThrownBy(() -> alice.subscribe("orders.eu", "s", m -> { }))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED));
            assertThatThrownBy(() -> alice.createQueue(QueueSpec.named("billing.new")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED));
            // dead-lettering would publish into billing on alice's behalf
            assertThatThrownBy(() -> alice.createQueue(QueueSpec.named("orders.new").withMaxDeliveries(1)
                    .withDeadLetterQueue("billing")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED))
                    .hasMessageContaining("'alice' is not authorized to publish to queue 'billing'");
            alice.createQueue(QueueSpec.named("orders.new").withMaxDeliveries(1).withDeadLetterQueue("orders.new.dlq"));
            assertThatThrownBy(() -> alice.deleteQueue("orders.eu"))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED));
            assertThatThrownBy(alice::reload)
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED));
            // a listing shows only the queues the principal holds a right on
            assertThat(alice.listQueues()).extracting(QueueInfo::name)
                    .containsExactly("orders.eu", "orders.new", "orders.new.dlq", "orders.secret");

            assertThatThrownBy(() -> bob.send("orders.eu", Message.of("consumer only")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED));
            // the explicit deny beats the role's allow on orders.*
            assertThatThrownBy(() -> bob.subscribe("orders.secret", "s", m -> { }))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED));
            List<String> received = new CopyOnWriteArrayList<>();
            try (Subscription s = bob.subscribe("orders.eu", "s", m -> {
                received.add(m.payloadUtf8());
                m.ack();
            })) {
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> received.contains("allowed"));
            }
        }
        // the writer thread may still be on its way with the last of them
        List<AuditEntry> denials = Awaitility.await().atMost(5, TimeUnit.SECONDS)
                .until(() -> audit().stream().filter(e -> "authz.deny".equals(e.type())).toList(), l -> l.size() >= 7);
        assertThat(denials).extracting(e -> e.principal() + " " + e.action() + " " + e.resource() + " " + e.rule())
                .contains("alice publish billing default-deny", "alice consume orders.eu default-deny",
                        "alice create billing.new default-deny", "alice delete orders.eu default-deny",
                        "alice admin broker default-deny", "bob publish orders.eu default-deny",
                        "bob consume orders.secret orders-consumer/deny[0]");
        assertThat(denials).allSatisfy(e -> assertThat(e.policy()).isEqualTo(broker.broker().policy().version()));
    }

    @Test
    void shouldListTheGrantsTheAuditLogShowsWereNeverUsed() throws Exception {
        try (BrokerClient alice = client("alice", PASSWORD); BrokerClient bob = client("bob", PASSWORD)) {
            alice.send("orders.eu", Message.of("used"));
            List<String> received = new CopyOnWriteArrayList<>();
            try (Subscription s = bob.subscribe("orders.eu", "s", m -> {
                received.add(m.payloadUtf8());
                m.ack();
            })) {
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> received.contains("used"));
            }
        }
        broker.stop();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = BrokerCli.execute(new String[]{"rbac", "unused", "--since", "1d", "--data", dir.resolve("data").toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(rc).as(err.toString()).isZero();
        assertThat(out.toString()).contains("1 of 4 allow grants unused since")
                .contains("auditor/allow[0]")
                .doesNotContain("admin/allow[0]", "orders-producer/allow[0]", "orders-consumer/allow[0]");
    }

    @Test
    void shouldStopAConsumerWithinASecondOfAReloadThatRevokesItsGrant() throws Exception {
        try (BrokerClient alice = client("alice", PASSWORD); BrokerClient bob = client("bob", PASSWORD)) {
            List<String> received = new CopyOnWriteArrayList<>();
            Subscription s = bob.subscribe("orders.eu", "s", m -> {
                received.add(m.payloadUtf8());
                m.ack();
            });
            alice.send("orders.eu", Message.of("before"));
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> received.contains("before"));

            Files.writeString(policyFile, POLICY.replace("principals:\n  bob: [orders-consumer]\n", ""));
            long start = System.nanoTime();
            broker.broker().reload();
            Awaitility.await().atMost(1, TimeUnit.SECONDS).pollInterval(5, TimeUnit.MILLISECONDS)
                    .until(() -> !s.isOpen());
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(s.failure()).hasValueSatisfying(e -> {
                assertThat(e.code()).contains(ErrorCode.NOT_AUTHORIZED);
                assertThat(e.getMessage()).contains("no longer authorized to consume from queue 'orders.eu'");
            });

            alice.send("orders.eu", Message.of("after"));
            // the message waits in bob's subscription for a consumer: had bob's cancelled consumer still been
            // attached, it would have taken (and acknowledged) it, and it would not reach the one attached now
            List<String> later = new CopyOnWriteArrayList<>();
            try (BrokerClient admin = client("admin", broker.adminPassword());
                 Subscription next = admin.subscribe("orders.eu", "s", m -> {
                     later.add(m.payloadUtf8());
                     m.ack();
                 })) {
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> later.contains("after"));
            }
            assertThat(received).containsExactly("before");
            assertThat(tookMillis).isLessThan(1000);
            System.out.printf("consumer cancelled %d ms after the reload that revoked its grant%n", tookMillis);
        }
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> audit().stream().anyMatch(e ->
                "authz.deny".equals(e.type()) && "bob".equals(e.principal()) && "consume".equals(e.action())
                        && "orders.eu".equals(e.resource())));
        List<AuditEntry> all = audit();
        AuditEntry reload = all.stream().filter(e -> "policy.reload".equals(e.type()) && e.reason() == null)
                .reduce((a, b) -> b).orElseThrow();
        AuditEntry denial = all.stream().filter(e -> "authz.deny".equals(e.type()) && "bob".equals(e.principal()))
                .findFirst().orElseThrow();
        assertThat(denial.seq()).isGreaterThan(reload.seq());
        assertThat(denial.policy()).isEqualTo(reload.policy()).isNotEqualTo(null);
    }

    @Test
    void shouldCancelAConsumerWhoseRenewedTokenNoLongerGrantsTheRole() throws Exception {
        PrivateKey devKey = LocalCa.readPrivateKey(dir.resolve("data").resolve(BrokerConfig.Layout.JWT_DEV_PRIVATE_KEY));
        AtomicInteger minted = new AtomicInteger();
        try (BrokerClient svc = builder().tokenSupplier(() -> DevTokens.mint(devKey, new DevTokens.Request(
                DevTokens.ISSUER, DevTokens.AUDIENCE, DevTokens.KEY_ID, "svc",
                minted.getAndIncrement() == 0 ? List.of("idp-orders-readers") : List.of(), Duration.ofSeconds(8)),
                Clock.systemUTC())).connect()) {
            Subscription s = svc.subscribe("orders.eu", "svc", m -> m.ack());
            assertThat(s.isOpen()).isTrue();
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> !s.isOpen());
            assertThat(minted.get()).isGreaterThanOrEqualTo(2);
            assertThat(s.failure()).hasValueSatisfying(e -> assertThat(e.code()).contains(ErrorCode.NOT_AUTHORIZED));
        }
    }

    @Test
    void shouldWriteExactlyTheExpectedAuditEntriesForAScriptedSession() throws Exception {
        long from = lastSeq();
        assertThatThrownBy(() -> client("mallory", "not a user at all"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
        assertThatThrownBy(() -> client("alice", "the wrong password"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
        try (BrokerClient alice = client("alice", PASSWORD)) {
            alice.send("orders.eu", Message.of("1"));
            alice.send("orders.eu", Message.of("2"));
            alice.send("orders.eu", Message.of("3"));
            assertThatThrownBy(() -> alice.send("billing", Message.of("no")));
            assertThatThrownBy(() -> alice.send("billing", Message.of("no again")));
        }
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> audit().stream().anyMatch(e ->
                "authz.allow".equals(e.type()) && "alice".equals(e.principal())
                        && Long.valueOf(2).equals(((Number) e.details().getOrDefault("count", 0)).longValue())));
        try (BrokerClient admin = client("admin", broker.adminPassword())) {
            admin.createQueue(QueueSpec.named("orders.us"));
            admin.deleteQueue("orders.us");
            admin.reload();
        }
        UserStore.load(broker.broker().config().auth().usersFile()).update(all -> {
            all.put("carol", user("carol", List.of("orders-producer")));
            return all;
        });
        // carol's entry, not the ones the set-up wrote: the broker picks up the users file within a second or so
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> audit().stream().anyMatch(e -> e.seq() > from
                && "admin.user.added".equals(e.type()) && "carol".equals(e.resource())));
        broker.stop();

        List<String> got = new ArrayList<>();
        for (AuditEntry e : audit()) {
            if (e.seq() <= from) {
                continue;
            }
            got.add(String.join(" ", e.type(), String.valueOf(e.principal()), String.valueOf(e.action()),
                    String.valueOf(e.resource()), String.valueOf(e.decision()), String.valueOf(e.details().get("count"))));
        }
        assertThat(got).containsExactly(
                "auth.failure mallory null null null null",
                "auth.failure alice null null null null",
                "auth.success alice null null null null",
                "authz.allow alice publish orders.eu allow 1",
                "authz.deny alice publish billing deny null",
                "authz.deny alice publish billing deny null",
                "authz.allow alice publish orders.eu allow 2",
                "auth.success admin null null null null",
                "authz.allow admin create orders.us allow 1",
                "admin.queue.create admin create orders.us null null",
                "authz.allow admin delete orders.us allow 1",
                "admin.queue.delete admin delete orders.us null null",
                "authz.allow admin admin broker allow 1",
                "tls.reload null null null null null",
                "key.jwt.reload null null null null null",
                "policy.reload null null null allow null",
                "admin.user.added null manage-users carol null null",
                "broker.stop null null null null null");
        AuditEntry added = audit().stream().filter(e -> "admin.user.added".equals(e.type())).findFirst().orElseThrow();
        assertThat(added.details()).containsKey("after").doesNotContainKey("before");
        assertThat(added.text()).doesNotContain("argon2").doesNotContain(PASSWORD);
    }
}
