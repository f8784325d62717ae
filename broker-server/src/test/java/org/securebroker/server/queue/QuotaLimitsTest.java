package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.frame.QueueInfo;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.limits.Refusal;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.testing.MutableClock;

/**
 * One principal driven past each of its quotas and a queue's depth: each refusal carries its
 * error code and a message naming the limit, and is reported (first of its episode marked, which
 * the broker audits); counts are given back when what they count goes away; and another
 * principal keeps working at its usual speed meanwhile.
 *
 * <p>The audit entry itself ({@code limit.exceeded}) is written by the broker's wiring of the
 * limit events, which an end-to-end test covers; here the reported {@link Refusal} is checked.
 */
class QuotaLimitsTest {

    private static final BrokerConfig.PrincipalQuota BOB = new BrokerConfig.PrincipalQuota(0, 2, 2, 3, 10, 0);
    private static final BrokerConfig.Quotas QUOTAS = new BrokerConfig.Quotas(
            new BrokerConfig.PrincipalQuota(0, 0, 0, 0, 0, 0), Map.of("bob", BOB));

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
    private final List<Refusal> reported = new CopyOnWriteArrayList<>();
    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void open() throws Exception {
        store = Store.open(TestStores.config(dir.resolve("store")).build(), TestStores.keyring());
        engine = start();
    }

    private QueueEngine start() throws Exception {
        QueueEngine e = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, clock,
                List.of(new QueueDefinition("small", 0, "", Duration.ZERO, false,
                        new QueueDefinition.Depth(5, 0, QueueDefinition.Overflow.REJECT)),
                        QueueDefinition.simple("alice.q")), false);
        e.limits(QUOTAS, new QueueDefinition.Depth(1000, 0, QueueDefinition.Overflow.REJECT), reported::add);
        return e;
    }

    @AfterEach
    void close() {
        engine.close();
        store.close();
    }

    private static final ConsumerSink SINK = new ConsumerSink() {
        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void deliver(DeliverFrame frame) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void cancelled(int consumerId, ErrorCode code, String message) {
        }
    };

    private static List<PublishMessage> one(String text) {
        return List.of(PublishMessage.of(Bytes.utf8(text)));
    }

    private static RequestException refusal(CompletableFuture<?> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (Futures.cause(e) instanceof RequestException r) {
                return r;
            }
            throw new AssertionError("refused with something else", e);
        }
        throw new AssertionError("not refused");
    }

    private Consumer subscribe(String queue, String subscription, String principal) throws Exception {
        return engine.subscribe(queue, subscription, 10, 1, SINK, c -> { }, principal).get(10, TimeUnit.SECONDS);
    }

    private List<Refusal> reportedFor(String limit) {
        return reported.stream().filter(r -> r.limit().equals(limit)).toList();
    }

    @Test
    void shouldRefuseTheThirdQueueOfAPrincipalWithTwoAndReportIt() throws Exception {
        engine.createQueue(QueueDefinition.simple("b1"), "bob").get(10, TimeUnit.SECONDS);
        engine.createQueue(QueueDefinition.simple("b2"), "bob").get(10, TimeUnit.SECONDS);

        RequestException refused = refusal(engine.createQueue(QueueDefinition.simple("b3"), "bob"));
        RequestException again = refusal(engine.createQueue(QueueDefinition.simple("b4"), "bob"));

        assertThat(refused.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(refused.code().retriable()).isTrue();
        assertThat(refused.getMessage()).startsWith("principal 'bob' has created 2 queues, the limit of "
                + "quotas.principals[bob].queues");
        assertThat(again.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(engine.exists("b3")).isFalse();
        assertThat(reportedFor("queues")).extracting(Refusal::subject, Refusal::value, Refusal::firstOfEpisode)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("bob", 2L, true),
                        org.assertj.core.groups.Tuple.tuple("bob", 2L, false));
    }

    @Test
    void shouldGiveAQueueBackToItsOwnerWhenItIsDeleted() throws Exception {
        engine.createQueue(QueueDefinition.simple("b1"), "bob").get(10, TimeUnit.SECONDS);
        engine.createQueue(QueueDefinition.simple("b2"), "bob").get(10, TimeUnit.SECONDS);
        engine.deleteQueue("b1").get(10, TimeUnit.SECONDS);

        engine.createQueue(QueueDefinition.simple("b3"), "bob").get(10, TimeUnit.SECONDS);

        assertThat(engine.held("bob")[0]).isEqualTo(2);
    }

    @Test
    void shouldCountADeadLetterQueueCreatedWithAQueueAndRefuseBothPastTheQuota() throws Exception {
        engine.createQueue(QueueDefinition.simple("b1"), "bob").get(10, TimeUnit.SECONDS);

        RequestException refused = refusal(engine.createQueue(new QueueDefinition("b2", 3, "b2.dlq", Duration.ZERO),
                "bob"));

        assertThat(refused.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(engine.exists("b2")).isFalse();
        assertThat(engine.exists("b2.dlq")).isFalse();
        assertThat(engine.held("bob")[0]).isEqualTo(1);
    }

    @Test
    void shouldRefuseASubscriptionPastTheQuotaAndGiveBackItsConsumer() throws Exception {
        subscribe("alice.q", "s1", "bob");
        subscribe("alice.q", "s2", "bob");

        RequestException refused = refusal(engine.subscribe("alice.q", "s3", 10, 3, SINK, c -> { }, "bob"));

        assertThat(refused.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(refused.getMessage()).startsWith("principal 'bob' has created 2 durable subscriptions, the limit of "
                + "quotas.principals[bob].subscriptions");
        assertThat(engine.held("bob")).containsExactly(0, 2, 2);
        assertThat(reportedFor("subscriptions")).singleElement().satisfies(r -> assertThat(r.firstOfEpisode()).isTrue());
        // a subscription that exists (created by anyone) takes no subscription quota
        subscribe("alice.q", "s1", "bob");
    }

    @Test
    void shouldRefuseAConsumerPastTheQuotaAndReleaseEachDetachOnce() throws Exception {
        Consumer first = subscribe("alice.q", "s1", "bob");
        subscribe("alice.q", "s1", "bob");
        subscribe("alice.q", "s1", "bob");

        RequestException refused = refusal(engine.subscribe("alice.q", "s1", 10, 9, SINK, c -> { }, "bob"));
        engine.detach(first);
        engine.detach(first);

        assertThat(refused.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(refused.getMessage()).startsWith("principal 'bob' has 3 consumers attached, the limit of "
                + "quotas.principals[bob].consumers");
        assertThat(reportedFor("consumers")).hasSize(1);
        assertThat(engine.held("bob")[2]).isEqualTo(2);
        subscribe("alice.q", "s1", "bob");
        assertThat(refusal(engine.subscribe("alice.q", "s1", 10, 9, SINK, c -> { }, "bob")).code())
                .isEqualTo(ErrorCode.QUOTA_EXCEEDED);
    }

    @Test
    void shouldGiveBackConsumersAndSubscriptionsWhenTheirQueueIsDeleted() throws Exception {
        engine.createQueue(QueueDefinition.simple("b1"), "bob").get(10, TimeUnit.SECONDS);
        subscribe("b1", "s1", "bob");
        subscribe("b1", "s2", "bob");

        engine.deleteQueue("b1").get(10, TimeUnit.SECONDS);

        assertThat(engine.held("bob")).containsExactly(0, 0, 0);
    }

    @Test
    void shouldHoldBackAPublishBeyondThePrincipalsRateInsteadOfRefusingIt() throws Exception {
        // ten a second with a burst of one second's worth: the eleventh waits a tenth of a second
        for (int i = 0; i < 10; i++) {
            engine.publish("alice.q", "bob", one("m" + i)).get(10, TimeUnit.SECONDS);
        }
        assertThat(reportedFor("publish-rate")).isEmpty();

        long before = System.nanoTime();
        CompletableFuture<List<PublishResult>> held = engine.publish("alice.q", "bob", one("m10"));
        CompletableFuture<List<PublishResult>> next = engine.publish("alice.q", "bob", one("m11"));

        assertThat(held).isNotDone();
        long first = held.get(10, TimeUnit.SECONDS).get(0).offset();
        long second = next.get(10, TimeUnit.SECONDS).get(0).offset();
        assertThat(System.nanoTime() - before).isGreaterThanOrEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(second).as("pacing keeps the order").isGreaterThan(first);
        assertThat(reportedFor("publish-rate")).hasSize(2).first()
                .satisfies(r -> {
                    assertThat(r.subject()).isEqualTo("bob");
                    assertThat(r.value()).isEqualTo(10);
                    assertThat(r.setting()).isEqualTo("quotas.principals[bob].publishRate");
                    assertThat(r.firstOfEpisode()).isTrue();
                });
    }

    @Test
    void shouldRefuseAPublishPastTheQueueDepthWithoutStoringIt() throws Exception {
        subscribe("small", "never-acks", "alice");
        for (int i = 0; i < 5; i++) {
            engine.publish("small", "alice", one("m" + i)).get(10, TimeUnit.SECONDS);
        }
        PublishMessage retried = new PublishMessage("producer-1", 6, 0, Headers.EMPTY, Bytes.utf8("six"), Bytes.EMPTY);

        RequestException full = refusal(engine.publish("small", "bob", List.of(retried)));

        assertThat(full.code()).isEqualTo(ErrorCode.QUEUE_FULL);
        assertThat(full.code().retriable()).isTrue();
        assertThat(full.getMessage()).startsWith("queue 'small' holds 5 messages (limit queues.define[small].maxDepth "
                + "= 5)");
        assertThat(engine.listQueues()).filteredOn(q -> q.name().equals("small")).extracting(QueueInfo::messages)
                .containsExactly(5L);
        assertThat(reportedFor("queue-depth")).singleElement().satisfies(r -> {
            assertThat(r.subject()).isEqualTo("small");
            assertThat(r.principal()).isEqualTo("bob");
            assertThat(r.firstOfEpisode()).isTrue();
        });
    }

    @Test
    void shouldRetryARefusedSequenceOnTheSameQueueOnceThereIsRoom() throws Exception {
        for (int i = 0; i < 5; i++) {
            engine.publish("small", "alice", one("m" + i)).get(10, TimeUnit.SECONDS);
        }
        PublishMessage m = new PublishMessage("producer-1", 1, 0, Headers.EMPTY, Bytes.utf8("one"), Bytes.EMPTY);
        assertThat(refusal(engine.publish("small", "bob", List.of(m))).code()).isEqualTo(ErrorCode.QUEUE_FULL);

        // a subscription acknowledging everything lets the records go (the release runs a second later)
        RecordingSink sink = new RecordingSink();
        Consumer c = engine.subscribe("small", "drain", 100, 1, sink, x -> { }, "alice").get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> {
            List<Long> offsets = sink.take();
            if (!offsets.isEmpty()) {
                engine.ack(c, offsets.stream().mapToLong(Long::longValue).toArray()).join();
            }
            clock.advance(Duration.ofMillis(200));
            return queueDepth("small") == 0;
        });

        PublishResult stored = engine.publish("small", "bob", List.of(m)).get(10, TimeUnit.SECONDS).get(0);
        assertThat(stored.duplicate()).isFalse();
    }

    private long queueDepth(String name) {
        return engine.listQueues().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow().messages();
    }

    @Test
    void shouldMoveTheOldestOutToTheDeadLetterQueueWhenTheQueueOverflows() throws Exception {
        engine.createQueue(new QueueDefinition("ring", 0, "ring.dlq", Duration.ZERO, false,
                new QueueDefinition.Depth(3, 0, QueueDefinition.Overflow.DEAD_LETTER_OLDEST))).get(10, TimeUnit.SECONDS);
        subscribe("ring", "slow", "alice");

        for (int i = 0; i < 5; i++) {
            engine.publish("ring", "alice", one("m" + i)).get(10, TimeUnit.SECONDS);
        }

        Awaitility.await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> {
            clock.advance(Duration.ofMillis(200));
            assertThat(queueDepth("ring.dlq")).isEqualTo(2);
            assertThat(queueDepth("ring")).isEqualTo(3);
        });
        assertThat(engine.counters()).containsEntry("dead-lettered:overflow", 2L);
        assertThat(reportedFor("queue-depth")).isEmpty();
    }

    @Test
    void shouldSettleWhatAConsumerHeldWhenOverflowMovesItOut() throws Exception {
        engine.createQueue(new QueueDefinition("ring", 0, "ring.dlq", Duration.ZERO, false,
                new QueueDefinition.Depth(3, 0, QueueDefinition.Overflow.DEAD_LETTER_OLDEST))).get(10, TimeUnit.SECONDS);
        RecordingSink holder = new RecordingSink();
        Consumer held = engine.subscribe("ring", "s", 10, 1, holder, c -> { }, "alice").get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 6; i++) {
            engine.publish("ring", "alice", one("m" + i)).get(10, TimeUnit.SECONDS);
        }
        Awaitility.await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> {
            clock.advance(Duration.ofMillis(200));
            assertThat(queueDepth("ring.dlq")).isEqualTo(3);
        });
        // an ack of nothing runs on the queue's executor after the eviction settled
        engine.ack(held, new long[0]).get(10, TimeUnit.SECONDS);

        // the three moved out are no longer the consumer's to settle; the three kept still are
        assertThat(engine.unacknowledged()).isEqualTo(3);
        engine.detach(held);
        RecordingSink next = new RecordingSink();
        Consumer after = engine.subscribe("ring", "s", 10, 2, next, c -> { }, "alice").get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> next.delivered.size() >= 3);
        engine.ack(after, new long[0]).get(10, TimeUnit.SECONDS);
        assertThat(next.delivered).containsExactlyInAnyOrder(3L, 4L, 5L);
    }

    @Test
    void shouldDropTheOldestOfAQueueWithoutSubscriptionsOrDeadLetterQueue() throws Exception {
        engine.createQueue(new QueueDefinition("ring", 0, "", Duration.ZERO, false,
                new QueueDefinition.Depth(3, 0, QueueDefinition.Overflow.DEAD_LETTER_OLDEST))).get(10, TimeUnit.SECONDS);

        for (int i = 0; i < 7; i++) {
            engine.publish("ring", "alice", one("m" + i)).get(10, TimeUnit.SECONDS);
        }

        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> queueDepth("ring") == 3);
        assertThat(engine.counters()).containsEntry("dropped:overflow", 4L);
    }

    @Test
    void shouldKeepOwnersInTheCatalogAcrossARestartAndForgetThoseOfSubscriptionsNeverCreated() throws Exception {
        engine.createQueue(QueueDefinition.simple("b1"), "bob").get(10, TimeUnit.SECONDS);
        subscribe("b1", "s1", "bob");
        engine.close();
        QueueCatalog catalog = new QueueCatalog(dir.resolve("queues.json"), DefaultFileLayer.INSTANCE, store);
        catalog.load();
        catalog.putSubscriptionOwner("b1", "ghost", "bob");
        // a config queue and a queue without owner count for nobody
        assertThat(catalog.owners("small")).isEqualTo(QueueCatalog.Owners.NONE);

        engine = start();

        assertThat(engine.held("bob")).containsExactly(1, 1, 0);
        String text = Files.readString(dir.resolve("queues.json"), StandardCharsets.UTF_8);
        assertThat(text).contains("\"createdBy\" : \"bob\"").contains("\"s1\" : \"bob\"").doesNotContain("ghost");
        engine.deleteQueue("b1").get(10, TimeUnit.SECONDS);
        assertThat(engine.held("bob")).containsExactly(0, 0, 0);
    }

    @Test
    void shouldLetAnotherPrincipalPublishAtItsUsualSpeedWhileOneIsHeldAtEveryLimit() throws Exception {
        int rounds = 5;
        int perRound = 40;
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean pressing = new AtomicBoolean(false);
        Semaphore inFlight = new Semaphore(64); // what a connection's in-flight limit does
        // bob stands for a client pressing on every limit as fast as its connection lets it: tens of
        // thousands of requests a second, nearly all refused; not a spin loop that would only
        // measure how the test's own thread competes with the broker for the machine's cores
        Thread load = new Thread(() -> {
            int i = 0;
            while (running.get()) {
                if (!pressing.get()) {
                    LockSupport.parkNanos(1_000_000);
                    continue;
                }
                i++;
                engine.createQueue(QueueDefinition.simple("bob-" + i), "bob").exceptionally(e -> null);
                engine.subscribe("alice.q", "bob-" + i, 1, i, SINK, c -> { }, "bob").exceptionally(e -> null);
                engine.publish("small", "bob", one("x")).exceptionally(e -> null);
                if (inFlight.tryAcquire()) {
                    engine.publish("alice.q", "bob", one("paced " + i)).whenComplete((r, e) -> inFlight.release());
                }
                LockSupport.parkNanos(10_000);
            }
        }, "bob-load");
        for (int i = 0; i < 5; i++) {
            engine.publish("small", "alice", one("fill")).get(10, TimeUnit.SECONDS);
        }
        samplePublishNanos("alice", new long[perRound], 0, perRound); // warm-up, not counted
        load.start();
        long[] unloaded = new long[rounds * perRound];
        long[] loaded = new long[rounds * perRound];
        try {
            // unloaded and loaded rounds alternate, so whatever else the machine does weighs on both
            for (int r = 0; r < rounds; r++) {
                pressing.set(false);
                samplePublishNanos("alice", unloaded, r * perRound, perRound);
                pressing.set(true);
                if (r == 0) {
                    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !reportedFor("publish-rate").isEmpty()
                            && !reportedFor("queue-depth").isEmpty() && !reportedFor("queues").isEmpty());
                }
                samplePublishNanos("alice", loaded, r * perRound, perRound);
            }
        } finally {
            running.set(false);
            load.join();
        }
        long unloadedMedian = median(unloaded);
        long loadedMedian = median(loaded);
        // sub-millisecond medians are noise-dominated: compare against at least one millisecond
        assertThat(loadedMedian).as("alice's median publish under bob's load, unloaded %d ns", unloadedMedian)
                .isLessThanOrEqualTo(2 * Math.max(unloadedMedian, Duration.ofMillis(1).toNanos()));
        assertThat(reportedFor("subscriptions")).isNotEmpty();
        assertThat(reportedFor("queue-depth")).allSatisfy(r -> assertThat(r.subject()).isEqualTo("small"));
        assertThat(reported).noneMatch(r -> "alice".equals(r.principal()));
    }

    private void samplePublishNanos(String principal, long[] into, int from, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            engine.publish("alice.q", principal, one("a" + i)).get(10, TimeUnit.SECONDS);
            into[from + i] = System.nanoTime() - t0;
        }
    }

    private static long median(long[] samples) {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    @Test
    void shouldNotCountRequestsMadeWithoutAPrincipal() throws Exception {
        engine.createQueue(QueueDefinition.simple("b1")).get(10, TimeUnit.SECONDS);
        engine.subscribe("b1", "s", 10, 1, SINK, c -> { }).get(10, TimeUnit.SECONDS);

        assertThatThrownBy(() -> engine.createQueue(QueueDefinition.simple("b1"), "bob").join())
                .hasRootCauseInstanceOf(RequestException.class);
        assertThat(engine.held("bob")).containsExactly(0, 0, 0);
    }
}
