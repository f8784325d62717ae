package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerException;
import org.securebroker.client.BrowseResult;
import org.securebroker.client.BrowsedMessage;
import org.securebroker.client.Message;
import org.securebroker.client.MessageHandler;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.ReceivedMessage;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.client.SubscribeOptions;
import org.securebroker.client.Subscription;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.RejectFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;

/**
 * The subscription lifecycle end to end with the real Java client (protocol version 2, seals
 * verified against the pinned broker keys) and the real {@code broker} CLI: seek replays exactly,
 * list shows what each subscription holds, delete frees the disk, browse reads without consuming,
 * purge empties, reject dead-letters with why and who (and loses nothing without a dead-letter
 * queue), and each command is authorized and audited.
 */
class SubscriptionLifecycleClientIT {

    private static final String PASSWORD = "a long enough password";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private TestBroker broker;
    private final List<BrokerClient> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(BrokerClient::close);
        if (broker != null) {
            broker.close();
        }
    }

    /** 1 MiB segments and the idle expiry given. */
    private void start(Duration idleExpiry) throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> {
            BrokerConfig.StoreSettings s = c.store();
            BrokerConfig.Queues q = c.queues();
            return c.withStore(new BrokerConfig.StoreSettings(1 << 20, s.subscriptionSyncInterval(),
                    s.retentionMaxAge(), s.retentionMaxBytes()))
                    .withQueues(new BrokerConfig.Queues(q.autoCreate(), q.ackTimeout(), q.maxMessageBytes(),
                            q.dedupWindow(), q.depth(), q.define(), idleExpiry, Duration.ZERO));
        });
    }

    private BrokerClient client(String user, String password) {
        BrokerClient c = BrokerClient.builder().address("localhost", broker.port())
                .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys())
                .credentials(user, password.toCharArray()).reconnect(ReconnectPolicy.never())
                .requestTimeout(Duration.ofSeconds(30)).connect();
        clients.add(c);
        return c;
    }

    private BrokerClient admin() throws Exception {
        return client("admin", broker.adminPassword());
    }

    /** {@code broker ARGS --data DATA --server 127.0.0.1:PORT}, as the admin unless ARGS say otherwise. */
    private CliRun cli(String stdin, String... args) {
        String[] all = Stream.concat(Stream.of(args), Stream.of("--data", dir.resolve("data").toString(),
                "--server", "127.0.0.1:" + broker.port())).toArray(String[]::new);
        return CliRun.of(stdin, all);
    }

    private static CliRun ok(CliRun run) {
        assertThat(run.exit()).as(run.err()).isZero();
        return run;
    }

    private static void quietly(Subscription s) {
        s.close();
    }

    /**
     * Attaches to {@code subscription}, takes exactly {@code n} deliveries (acknowledging each,
     * and checking that no more come), and detaches.
     */
    private static List<ReceivedMessage> consume(BrokerClient c, String queue, String subscription, int n) {
        List<ReceivedMessage> got = new CopyOnWriteArrayList<>();
        Subscription s = c.subscribe(queue, subscription, SubscribeOptions.builder().prefetch(100).build(), m -> {
            got.add(m);
            m.ack();
        });
        try {
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> got.size() >= n);
            Awaitility.await().during(300, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS)
                    .until(() -> got.size() == n);
        } finally {
            quietly(s);
        }
        return List.copyOf(got);
    }

    private static List<Long> offsets(List<ReceivedMessage> messages) {
        return messages.stream().map(ReceivedMessage::offset).toList();
    }

    private long queueBytesOnDisk(String queue) throws Exception {
        Path logs = dir.resolve("data").resolve("store").resolve("logs").resolve(queue);
        try (Stream<Path> files = Files.walk(logs)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private Path auditDir() {
        return broker.broker().config().audit().dir();
    }

    private static ErrorCode code(Throwable t) {
        return ((BrokerException) t).code().orElseThrow();
    }

    // ---- seek

    @Test
    void shouldReplayExactlyFromAnOffsetOrATimeChosenThroughTheClientOrTheCli() throws Exception {
        start(Duration.ofDays(7));
        BrokerClient c = admin();
        assertThat(c.protocolVersion()).isEqualTo(2);
        c.createQueue(QueueSpec.named("replay"));
        quietly(c.subscribe("replay", "holder", m -> { })); // keeps every message retained
        List<Long> stored = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            stored.add(c.send("replay", Message.of("m" + i)).offset());
            Thread.sleep(20); // distinct broker timestamps, for the seeks by time
        }
        // plain publish and consume work as in version 1
        List<ReceivedMessage> first = consume(c, "replay", "s", 6);
        assertThat(offsets(first)).containsExactlyElementsOf(stored);

        assertThat(c.seek("replay", "s", stored.get(2))).isEqualTo(stored.get(2));
        List<ReceivedMessage> fromOffset = consume(c, "replay", "s", 4);
        assertThat(offsets(fromOffset)).containsExactlyElementsOf(stored.subList(2, 6));
        for (int i = 0; i < 4; i++) {
            ReceivedMessage before = first.get(i + 2);
            ReceivedMessage again = fromOffset.get(i);
            assertThat(again.payloadUtf8()).isEqualTo("m" + (i + 2));
            assertThat(again.brokerSignature()).as("the stored seal, verified again").isEqualTo(before.brokerSignature())
                    .isNotEqualTo(org.securebroker.protocol.frame.Bytes.EMPTY);
        }

        Instant fourth = first.get(4).brokerTimestamp();
        CliRun byTime = ok(cli("", "subscription", "seek", "replay", "s", "--time", fourth.toString()));
        assertThat(byTime.out()).contains("subscription 's' of 'replay' now starts at offset " + stored.get(4));
        assertThat(offsets(consume(c, "replay", "s", 2))).containsExactlyElementsOf(stored.subList(4, 6));

        CliRun byOffset = ok(cli("", "subscription", "seek", "replay", "s", "--offset", Long.toString(stored.get(1))));
        assertThat(byOffset.out()).contains("now starts at offset " + stored.get(1));
        List<ReceivedMessage> fromOne = consume(c, "replay", "s", 5);
        assertThat(fromOne).extracting(ReceivedMessage::payloadUtf8).containsExactly("m1", "m2", "m3", "m4", "m5");

        assertThat(c.seekToTime("replay", "s", first.get(3).brokerTimestamp())).isEqualTo(stored.get(3));
        assertThat(offsets(consume(c, "replay", "s", 3))).containsExactlyElementsOf(stored.subList(3, 6));

        // refused while a consumer is attached, and outside what the queue retains
        Subscription attached = c.subscribe("replay", "s", m -> { });
        assertThatThrownBy(() -> c.seek("replay", "s", stored.get(0)))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessageContaining("has consumers attached");
        quietly(attached);
        CliRun outside = cli("", "subscription", "seek", "replay", "s", "--offset", "1000");
        assertThat(outside.exit()).isEqualTo(1);
        assertThat(outside.err()).contains("(the end)");
    }

    // ---- list, delete, browse, purge

    @Test
    void shouldListWhatEachSubscriptionHoldsAndFreeTheDiskOfADeletedOne() throws Exception {
        start(Duration.ofHours(1));
        BrokerClient c = admin();
        c.createQueue(QueueSpec.named("ops"));
        Instant before = Instant.now();
        quietly(c.subscribe("ops", "abandoned", m -> { }));
        Instant after = Instant.now();
        for (int i = 0; i < 40; i++) {
            c.send("ops", Message.of(new byte[100_000]));
        }
        consume(c, "ops", "keeper", 40);
        List<ReceivedMessage> held = new CopyOnWriteArrayList<>();
        Subscription slow = c.subscribe("ops", "slow", SubscribeOptions.builder().prefetch(5).build(), held::add);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> held.size() == 5);

        CliRun list = ok(cli("", "subscription", "list", "ops", "--output", "json"));
        Map<String, JsonNode> byName = new HashMap<>();
        JSON.readTree(list.out()).forEach(n -> byName.put(n.get("name").asText(), n));
        assertThat(byName).containsOnlyKeys("abandoned", "keeper", "slow");
        JsonNode abandoned = byName.get("abandoned");
        assertThat(abandoned.get("consumers").asLong()).isZero();
        assertThat(abandoned.get("pending").asLong()).isEqualTo(40);
        assertThat(abandoned.get("inFlight").asLong()).isZero();
        assertThat(abandoned.get("cursor").asLong()).isZero();
        Instant lastActive = Instant.parse(abandoned.get("lastActive").asText());
        assertThat(lastActive).isBetween(before.minusSeconds(1), after.plusSeconds(1));
        assertThat(Instant.parse(abandoned.get("expiresAt").asText())).isEqualTo(lastActive.plus(Duration.ofHours(1)));
        JsonNode keeper = byName.get("keeper");
        assertThat(keeper.get("pending").asLong()).isZero();
        assertThat(keeper.get("cursor").asLong()).isEqualTo(40);
        JsonNode slowInfo = byName.get("slow");
        assertThat(slowInfo.get("consumers").asLong()).isEqualTo(1);
        assertThat(slowInfo.get("inFlight").asLong()).isEqualTo(5);
        assertThat(slowInfo.get("pending").asLong()).isEqualTo(40);
        assertThat(slowInfo.get("expiresAt").isNull()).as("never while attached").isTrue();
        assertThat(ok(cli("", "subscription", "list", "ops")).out()).contains("NAME", "PENDING", "IN-FLIGHT")
                .containsPattern("abandoned\\s+0\\s+40\\s+0\\s+0 ");

        // deleting the attached one cancels its consumer
        ok(cli("", "subscription", "delete", "ops", "slow"));
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !slow.isOpen());
        assertThat(slow.failure()).hasValueSatisfying(e -> assertThat(e.code()).contains(ErrorCode.SUBSCRIPTION_NOT_FOUND));
        Thread.sleep(1500); // the release a second after the last acknowledgement: abandoned still pins everything
        long pinned = queueBytesOnDisk("ops");
        assertThat(pinned).as("4 MB in 1 MiB segments").isGreaterThan(3_000_000);

        CliRun delete = ok(cli("", "subscription", "delete", "ops", "abandoned"));
        assertThat(delete.out()).contains("subscription 'abandoned' of 'ops' deleted");

        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> queueBytesOnDisk("ops") < pinned / 2);
        CliRun again = cli("", "subscription", "delete", "ops", "abandoned");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("queue 'ops' has no subscription 'abandoned'");
        assertThat(c.listSubscriptions("ops")).extracting(s -> s.name()).containsExactly("keeper");
    }

    @Test
    void shouldBrowseWithoutConsumingAndPurgeEverythingStored() throws Exception {
        start(Duration.ofDays(7));
        BrokerClient c = admin();
        c.createQueue(QueueSpec.named("shelf"));
        quietly(c.subscribe("shelf", "reader", m -> { }));
        for (String p : List.of("a", "b", "c")) {
            c.send("shelf", Message.builder().payload(p).header("kind", "letter").build());
        }

        CliRun browse = ok(cli("", "queue", "browse", "shelf", "--output", "json"));
        List<JsonNode> lines = browse.out().lines().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
        assertThat(lines).extracting(n -> n.get("payload").asText()).containsExactly("a", "b", "c");
        assertThat(lines).extracting(n -> n.get("offset").asLong()).containsExactly(0L, 1L, 2L);
        assertThat(lines).allSatisfy(n -> {
            assertThat(n.get("headers").get("kind").asText()).isEqualTo("letter");
            assertThat(n.has("deliveryCount")).isFalse();
        });
        CliRun text = ok(cli("", "queue", "browse", "shelf", "--from", "1", "--max", "1"));
        assertThat(text.out()).contains("[1] b").doesNotContain("[0] a", "[2] c");
        assertThat(text.err()).contains("1 message(s), next offset 2, seals verified");
        assertThat(c.listSubscriptions("shelf")).singleElement()
                .satisfies(s -> assertThat(s.pending()).isEqualTo(3));

        List<ReceivedMessage> consumed = consume(c, "shelf", "reader", 3);
        assertThat(consumed).extracting(ReceivedMessage::payloadUtf8).containsExactly("a", "b", "c");
        assertThat(consumed).as("browsing delivered nothing").allMatch(m -> m.deliveryCount() == 1);

        c.send("shelf", Message.of("d"));
        c.send("shelf", Message.of("e"));
        CliRun purge = ok(cli("", "queue", "purge", "shelf", "--yes"));
        assertThat(purge.out()).contains("2 message(s) purged from queue 'shelf'");
        JsonNode queues = JSON.readTree(ok(cli("", "queue", "list", "--output", "json")).out());
        assertThat(queues.findValues("messages").get(0).asLong()).isZero();
        assertThat(c.listSubscriptions("shelf")).singleElement().satisfies(s -> assertThat(s.pending()).isZero());
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> ok(cli("", "queue", "browse", "shelf")).err().contains("0 message(s), next offset"));
        c.send("shelf", Message.of("after"));
        assertThat(consume(c, "shelf", "reader", 1)).extracting(ReceivedMessage::payloadUtf8).containsExactly("after");
    }

    @Test
    void shouldBrowseAThousandOneKibibyteMessagesInPagesThatEachFitTheFrame() throws Exception {
        start(Duration.ofDays(7));
        BrokerClient c = admin();
        c.createQueue(QueueSpec.named("big"));
        quietly(c.subscribe("big", "reader", m -> { }));
        byte[] kib = new byte[1024];
        for (int i = 0; i < 1000; i++) {
            kib[0] = (byte) i;
            c.send("big", Message.builder().payload(kib).build());
        }

        // a thousand 1 KiB payloads with their seals are more than one default frame holds
        BrowseResult first = c.browse("big", 0, 1000);
        assertThat(first.messages()).hasSizeBetween(1, 999);
        List<Long> offsets = new ArrayList<>(offsets(first));
        long next = first.nextOffset();
        while (next < 1000) {
            BrowseResult page = c.browse("big", next, 1000);
            assertThat(page.messages()).isNotEmpty();
            offsets.addAll(offsets(page));
            next = page.nextOffset();
        }

        assertThat(offsets).hasSize(1000).doesNotHaveDuplicates().isSorted();
        assertThat(c.listSubscriptions("big")).singleElement().satisfies(s -> assertThat(s.pending()).isEqualTo(1000));
    }

    private static List<Long> offsets(BrowseResult page) {
        return page.messages().stream().map(BrowsedMessage::offset).toList();
    }

    // ---- reject

    @Test
    void shouldDeadLetterARejectedMessageWithWhyAndWhoAndLoseNothingWithoutADeadLetterQueue() throws Exception {
        start(Duration.ofDays(7));
        BrokerClient c = admin();
        c.createQueue(QueueSpec.named("work").withMaxDeliveries(5).withDeadLetterQueue("work.dlq"));
        c.send("work", Message.of("good"));
        c.send("work", Message.of("poison"));
        List<String> acked = new CopyOnWriteArrayList<>();
        MessageHandler handler = m -> {
            if (m.payloadUtf8().equals("poison")) {
                m.reject("cannot parse");
            } else {
                acked.add(m.payloadUtf8());
                m.ack();
            }
        };
        Subscription s = c.subscribe("work", "s", handler);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> acked.size() == 1);
        List<ReceivedMessage> letters = consume(c, "work.dlq", "audit", 1);
        assertThat(letters.get(0).payloadUtf8()).isEqualTo("poison");
        assertThat(letters.get(0).headers().getUtf8("x-rejected-reason")).contains("cannot parse");
        assertThat(letters.get(0).headers().getUtf8("x-rejected-by")).contains("admin");
        quietly(s);
        assertThat(consume(c, "work", "s", 0)).as("the rejected message is not delivered again").isEmpty();

        // without a dead-letter queue the broker refuses the reject, and the message stays
        c.createQueue(QueueSpec.named("plain"));
        c.send("plain", Message.of("keep me"));
        try (RawConnection raw = broker.raw()) {
            raw.loginVersion2("admin", broker.adminPassword());
            raw.send(new SubscribeFrame(7, "plain", "s", 10));
            int consumer = raw.expect(SubscribeOkFrame.class).consumerId();
            DeliverFrame d = raw.expect(DeliverFrame.class);
            raw.send(new RejectFrame(8, consumer, d.offset(), "nope"));
            ErrorFrame refused = raw.expect(ErrorFrame.class);
            assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_REQUEST.code());
            assertThat(refused.correlationId()).isEqualTo(8);
            assertThat(refused.message()).contains("no dead-letter queue").contains("nothing was dropped");
        }
        List<ReceivedMessage> tries = new CopyOnWriteArrayList<>();
        Subscription rejecting = c.subscribe("plain", "s", m -> {
            tries.add(m);
            m.reject("still nope");
        });
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> tries.size() == 1);
        quietly(rejecting);
        List<ReceivedMessage> kept = consume(c, "plain", "s", 1);
        assertThat(kept.get(0).payloadUtf8()).isEqualTo("keep me");
        assertThat(tries.get(0).deliveryCount()).isEqualTo(2);
        assertThat(kept.get(0).deliveryCount()).as("delivered again after each refused reject").isEqualTo(3);
    }

    // ---- authorization and audit

    private static final String POLICY = """
            roles:
              admin:
                allow:
                  - actions: ["*"]
                    resources: ["*"]
              producer:
                allow:
                  - actions: [publish]
                    resources: ["rb", "rb.*"]
              reader:
                allow:
                  - actions: [consume]
                    resources: ["rb", "rb.*"]
            principals:
              bob: [producer]
              carol: [reader]
            """;

    private static User user(String name) {
        return User.of(name, PasswordSecrets.derive(PASSWORD.toCharArray(), Argon2id.OWASP_MINIMUM, 4096,
                new SecureRandom()), List.of(), Instant.now());
    }

    @Test
    void shouldRefuseEachLifecycleCommandWithoutItsActionAndAuditEveryChangeWithItsPrincipal() throws Exception {
        start(Duration.ofSeconds(3));
        UserStore.load(broker.broker().config().auth().usersFile()).update(all -> {
            all.put("bob", user("bob"));
            all.put("carol", user("carol"));
            return all;
        });
        Files.writeString(broker.broker().config().authorization().policyFile(), POLICY);
        broker.broker().reload();
        BrokerClient admin = admin();
        admin.createQueue(QueueSpec.named("rb").withMaxDeliveries(5).withDeadLetterQueue("rb.dlq"));
        Subscription keeper = admin.subscribe("rb", "keeper", m -> { }); // attached: never expires
        for (int i = 0; i < 3; i++) {
            admin.send("rb", Message.of("m" + i));
        }

        BrokerClient bob = client("bob", PASSWORD);
        List<ThrowingCall> consumeCalls = List.of(
                () -> bob.listSubscriptions("rb"),
                () -> bob.deleteSubscription("rb", "keeper"),
                () -> bob.browse("rb", 0, 10),
                () -> bob.seek("rb", "keeper", 0));
        for (ThrowingCall call : consumeCalls) {
            assertThatThrownBy(call::run).satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_AUTHORIZED))
                    .hasMessageContaining("'bob' is not authorized to consume from queue 'rb'");
        }
        assertThatThrownBy(() -> bob.purgeQueue("rb")).satisfies(e -> assertThat(code(e))
                .isEqualTo(ErrorCode.NOT_AUTHORIZED));
        CliRun cliList = cli(PASSWORD + "\n", "subscription", "list", "rb", "--user", "bob", "--password-stdin");
        assertThat(cliList.exit()).isEqualTo(1);
        assertThat(cliList.err()).contains("'bob' is not authorized to consume from queue 'rb'");
        BrokerClient carol = client("carol", PASSWORD);
        assertThatThrownBy(() -> carol.purgeQueue("rb")).satisfies(e -> assertThat(code(e))
                .isEqualTo(ErrorCode.NOT_AUTHORIZED));
        CliRun cliPurge = cli(PASSWORD + "\n", "queue", "purge", "rb", "--yes", "--user", "carol", "--password-stdin");
        assertThat(cliPurge.exit()).isEqualTo(1);
        assertThat(cliPurge.err()).contains("'carol' is not authorized to purge queue 'rb'");
        assertThat(admin.listSubscriptions("rb")).singleElement().satisfies(s -> assertThat(s.pending()).isEqualTo(3));

        // what carol may do: read, and reject a message to the dead-letter queue
        assertThat(carol.browse("rb", 0, 10).messages()).hasSize(3);
        List<String> rejected = new CopyOnWriteArrayList<>();
        Subscription carols = carol.subscribe("rb", "carol", m -> {
            if (m.payloadUtf8().equals("m1")) {
                m.reject("not for me");
                rejected.add(m.payloadUtf8());
            } else {
                m.ack();
            }
        });
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> rejected.size() == 1);
        quietly(carols);
        // the admin's changes: a seek and a deletion, a purge, and a subscription left to expire
        quietly(admin.subscribe("rb", "moved", m -> { }));
        assertThat(admin.seek("rb", "moved", 2)).isEqualTo(2);
        quietly(admin.subscribe("rb", "gone", m -> { }));
        admin.deleteSubscription("rb", "gone");
        assertThat(admin.purgeQueue("rb")).isEqualTo(3);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> admin.listSubscriptions("rb").stream()
                .noneMatch(s -> s.name().equals("moved") || s.name().equals("carol")));
        quietly(keeper);

        List<String> denials = AuditTrail.await(auditDir(), "authz.deny", 8).stream()
                .map(e -> e.principal() + " " + e.action() + " " + e.resource()).toList();
        assertThat(denials).containsExactlyInAnyOrder("bob consume rb", "bob consume rb", "bob consume rb",
                "bob consume rb", "bob purge rb", "bob consume rb", "carol purge rb", "carol purge rb");
        assertThat(lifecycle("subscription.deleted", 1)).containsExactly("admin rb gone");
        assertThat(lifecycle("subscription.seek", 1)).containsExactly("admin rb moved");
        assertThat(lifecycle("queue.purged", 1)).containsExactly("admin rb ");
        assertThat(lifecycle("message.rejected", 1)).containsExactly("carol rb carol");
        assertThat(lifecycle("subscription.expired", 2)).as("the broker's own, no principal")
                .contains("null rb moved", "null rb carol");
        AuditEntry reject = AuditTrail.entries(auditDir(), "message.rejected").get(0);
        assertThat(reject.details()).containsEntry("reason", "not for me");
    }

    /** "principal queue subscription" of each audit entry of {@code type}, once written. */
    private List<String> lifecycle(String type, int count) {
        return AuditTrail.await(auditDir(), type, count).stream().map(e -> e.principal() + " " + e.resource() + " "
                + e.details().getOrDefault("subscription", "")).toList();
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }
}
