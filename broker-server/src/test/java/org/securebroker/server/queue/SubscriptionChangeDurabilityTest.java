package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.queue.SubscriptionAdminTest.FrameSink;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.store.io.FaultyFileLayer;

/**
 * Seek, delete and reject when their writes fail or race with a consumer: what the client is
 * told is what the broker then does, a change not yet durable releases nothing, and work a
 * retired dispatcher had under way changes nothing of the subscription that replaced it.
 */
class SubscriptionChangeDurabilityTest {

    private static final BrokerConfig.Quotas QUOTAS = new BrokerConfig.Quotas(
            new BrokerConfig.PrincipalQuota(0, 0, 0, 0, 0, 0),
            Map.of("bob", new BrokerConfig.PrincipalQuota(0, 0, 2, 0, 0, 0)));

    @TempDir
    Path dir;

    private final FaultyFileLayer disk = new FaultyFileLayer();
    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void open() throws Exception {
        store = Store.open(TestStores.config(dir.resolve("store")).fileLayer(disk).build(), TestStores.keyring());
        engine = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, Clock.systemUTC(),
                List.of(new QueueDefinition("q", 0, "q.dlq", Duration.ZERO, false, null),
                        QueueDefinition.simple("q.dlq")), false, false, disk);
        engine.limits(QUOTAS, QueueDefinition.Depth.DEFAULT, r -> { });
        engine.subscriptions().settings(Duration.ofHours(1), Duration.ZERO);
    }

    @AfterEach
    void close() {
        disk.failWritesWhere((path, position) -> { });
        engine.close();
        store.close();
    }

    private static boolean journal(Path path) {
        return path.getFileName().toString().startsWith("journal-");
    }

    private static boolean deadLetterLog(Path path) {
        return path.toString().contains("q.dlq");
    }

    private void publish(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            engine.publish("q", "alice", List.of(PublishMessage.of(Bytes.utf8("m" + i)))).get(10, TimeUnit.SECONDS);
        }
    }

    private Consumer subscribe(String subscription, FrameSink sink, String principal) throws Exception {
        return engine.subscribe("q", subscription, 1000, 1, sink, c -> { }, principal).get(10, TimeUnit.SECONDS);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
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

    private SubscriptionAdmin.Status status(String subscription) throws Exception {
        return get(engine.subscriptions().list("q")).stream().filter(s -> s.name().equals(subscription))
                .findFirst().orElseThrow();
    }

    private void detached(Consumer c) {
        engine.detach(c);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(c.dispatcher.name()).consumers() == 0);
    }

    private static void quiet(long millis) {
        Awaitility.await().during(Duration.ofMillis(millis)).atMost(Duration.ofMillis(millis + 5000)).until(() -> true);
    }

    /** Blocks the queue's executor until the returned latch is counted down. */
    private CountDownLatch holdExecutor() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        engine.queueOrNull("q").executor().execute(() -> {
            running.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    @Test
    void shouldRefuseADeleteWhileAConsumerIsAttachingAndKeepThatConsumerServed() throws Exception {
        publish(3);
        FrameSink first = new FrameSink();
        detached(subscribe("s", first, ""));
        // a seek leaves no dispatcher behind: the next consumer has one made from the stored state
        get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 0, "alice"));

        CountDownLatch release = holdExecutor();
        FrameSink sink = new FrameSink();
        CompletableFuture<Consumer> attaching = engine.subscribe("q", "s", 1000, 2, sink, c -> { }, "");
        CompletableFuture<Void> deleting = engine.subscriptions().delete("q", "s", "alice");
        release.countDown();

        RequestException refused = refusal(deleting);
        assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(refused.getMessage()).contains("a consumer is attaching to subscription 's'").contains("retry");
        Consumer c = get(attaching);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.frames.size() == 3);
        assertThat(get(engine.ack(c, new long[] {0, 1, 2}))).isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("s").cursor() == 3);
        assertThat(sink.cancelled).isEmpty();
    }

    @Test
    void shouldLeaveTheSubscriptionWhereItWasWhenTheSeekCannotBeWritten() throws Exception {
        publish(6);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("s", sink, "");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.frames.size() == 6);
        assertThat(get(engine.ack(c, new long[] {0, 1, 2, 3, 4, 5}))).isEmpty();
        detached(c);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("s").cursor() == 6);
        detached(subscribe("holder", new FrameSink(), "")); // keeps the records readable

        disk.failWritesWhere((path, position) -> {
            if (journal(path)) {
                throw new IOException("Input/output error (injected)");
            }
        });
        refusal(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 2, "alice"));

        assertThat(status("s").cursor()).as("the refused seek moved nothing").isEqualTo(6);
        FrameSink after = new FrameSink();
        subscribe("s", after, "");
        quiet(500);
        assertThat(after.offsets()).as("nothing replayed after a seek the client was told failed").isEmpty();
    }

    @Test
    void shouldReleaseNothingAndKeepTheSubscriptionWhenTheDeleteCannotBeWritten() throws Exception {
        publish(4);
        FrameSink keeper = new FrameSink();
        Consumer k = subscribe("keeper", keeper, "");
        detached(subscribe("abandoned", new FrameSink(), ""));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> keeper.frames.size() == 4);
        assertThat(get(engine.ack(k, new long[] {0, 1, 2, 3}))).isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("keeper").cursor() == 4);
        BrokerQueue q = engine.queueOrNull("q");

        disk.failWritesWhere((path, position) -> {
            if (journal(path)) {
                throw new IOException("Input/output error (injected)");
            }
        });
        refusal(engine.subscriptions().delete("q", "abandoned", "alice"));

        quiet(1500); // past the release a delete or an acknowledgement schedules
        assertThat(q.log().startOffset()).as("the records only it held are kept").isZero();
        assertThat(status("abandoned").cursor()).isZero();
        assertThat(get(engine.subscriptions().browse("q", 0, 10, 1 << 20, 1 << 20)).messages()).hasSize(4);
    }

    @Test
    void shouldNotLetADeadLetteringStartedBeforeASeekAcknowledgeInTheMovedSubscription() throws Exception {
        publish(3);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("s", sink, "");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.frames.size() == 3);
        assertThat(get(engine.ack(c, new long[] {0, 2}))).isEmpty();

        FaultyFileLayer.Gate gate = disk.holdForces(SubscriptionChangeDurabilityTest::deadLetterLog);
        get(engine.subscriptions().reject(c, 1, "bad", "alice"));
        gate.awaitForcing(); // the dead letter is being written
        detached(c);
        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 0, "alice")))
                .isZero();
        gate.release();
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> get(engine.subscriptions().browse("q.dlq", 0, 10, 1 << 20, 1 << 20)).messages().size() == 1);
        quiet(300);

        FrameSink replay = new FrameSink();
        subscribe("s", replay, "");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> replay.frames.size() >= 3);
        assertThat(replay.offsets()).as("the seek to 0 replays every message, the one rejected before it too")
                .containsExactly(0L, 1L, 2L);
    }

    @Test
    void shouldNeverDeliverARejectedMessageAgainWhileItsDeadLetterCannotBeStored() throws Exception {
        publish(2);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("s", sink, "");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.frames.size() == 2);
        disk.failWritesWhere((path, position) -> {
            if (deadLetterLog(path)) {
                throw new IOException("No space left on device");
            }
        });

        get(engine.subscriptions().reject(c, 1, "bad", "alice"));

        quiet(2500); // more than one retry of the dead letter
        assertThat(sink.offsets()).as("the rejected message is not handed out again").containsExactly(0L, 1L);
        assertThat(get(engine.subscriptions().browse("q.dlq", 0, 10, 1 << 20, 1 << 20)).messages()).isEmpty();

        disk.failWritesWhere((path, position) -> { });
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> get(engine.subscriptions().browse("q.dlq", 0, 10, 1 << 20, 1 << 20)).messages().size() == 1);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> status("s").pending() == 1);
        assertThat(sink.offsets()).containsExactly(0L, 1L);
    }

    @Test
    void shouldCountASubscriptionCreatedAgainWhileItsDeletionIsWrittenAgainstItsOwner() throws Exception {
        detached(subscribe("b1", new FrameSink(), "bob"));
        detached(subscribe("b2", new FrameSink(), "bob"));
        assertThat(engine.held("bob")[1]).isEqualTo(2);

        FaultyFileLayer.Gate gate = disk.holdForces(SubscriptionChangeDurabilityTest::journal);
        CompletableFuture<Void> deleting = engine.subscriptions().delete("q", "b1", "bob");
        gate.awaitForcing();
        CompletableFuture<Consumer> again = engine.subscribe("q", "b1", 10, 3, new FrameSink(), c -> { }, "bob");
        quiet(200);
        gate.release();
        get(deleting);
        get(again);

        assertThat(engine.held("bob")[1]).as("b1 anew and b2").isEqualTo(2);
        assertThat(refusal(engine.subscribe("q", "b3", 10, 4, new FrameSink(), c -> { }, "bob")).code())
                .isEqualTo(ErrorCode.QUOTA_EXCEEDED);
    }
}
