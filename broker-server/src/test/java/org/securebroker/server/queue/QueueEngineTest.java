package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.store.Store;
import org.securebroker.store.StoreConfig;
import org.securebroker.store.TestStores;
import org.securebroker.store.io.FaultyFileLayer;

/** The queue engine without sockets. */
class QueueEngineTest {

    @TempDir
    Path dir;

    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void start() throws Exception {
        store = Store.open(StoreConfig.builder(dir.resolve("store"), Clock.systemUTC(), new SecureRandom()).subscriptionSyncInterval(Duration.ofMillis(1)).build(),
                TestStores.keyring());
        engine = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, Clock.systemUTC(),
                List.of(QueueDefinition.simple("q")), false);
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
    }

    /** A connection whose outbound buffer fills and drains all the time. */
    private static final class FlappingSink implements ConsumerSink {
        final Set<Long> delivered = ConcurrentHashMap.newKeySet();
        final AtomicInteger checks = new AtomicInteger();

        @Override
        public boolean isWritable() {
            return checks.incrementAndGet() % 2 == 0;
        }

        @Override
        public void deliver(DeliverFrame frame) {
            delivered.add(frame.offset());
        }

        @Override
        public void flush() {
        }

        @Override
        public void cancelled(int consumerId, ErrorCode code, String message) {
            cancellations.add(consumerId + " " + code + " " + message);
        }

        final List<String> cancellations = new java.util.concurrent.CopyOnWriteArrayList<>();
    }

    @Test
    void shouldDeliverEveryMessageToAConsumerWhoseConnectionKeepsFilling() throws Exception {
        for (int i = 0; i < 200; i++) {
            engine.publish("q", "tester", List.of(PublishMessage.of(Bytes.utf8("m" + i)))).join();
        }
        FlappingSink sink = new FlappingSink();
        Consumer consumer = engine.subscribe("q", "s", 1000, 1, sink, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(5)).until(() -> {
            for (int i = 0; i < 20; i++) {
                engine.writable(consumer);
            }
            return sink.delivered.size() == 200;
        });
        assertThat(sink.delivered).hasSize(200);
    }

    @Test
    void shouldCancelTheConsumersOfADeletedQueue() throws Exception {
        FlappingSink first = new FlappingSink();
        FlappingSink second = new FlappingSink();
        engine.subscribe("q", "a", 10, 7, first, c -> { }).get(10, TimeUnit.SECONDS);
        engine.subscribe("q", "b", 10, 8, second, c -> { }).get(10, TimeUnit.SECONDS);
        engine.deleteQueue("q").get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !first.cancellations.isEmpty()
                && !second.cancellations.isEmpty());
        assertThat(first.cancellations).containsExactly("7 QUEUE_NOT_FOUND queue 'q' was deleted");
        assertThat(second.cancellations).containsExactly("8 QUEUE_NOT_FOUND queue 'q' was deleted");
    }

    @Test
    void shouldServeFromTheStoreWhatNoLongerFitsInMemory() throws Exception {
        byte[] big = new byte[64 * 1024];
        for (int i = 0; i < 200; i++) {
            engine.publish("q", "tester", List.of(new PublishMessage("", 0, 0,
                    org.securebroker.protocol.frame.Headers.EMPTY, Bytes.copyOf(big), Bytes.EMPTY))).join();
        }
        Set<Long> delivered = ConcurrentHashMap.newKeySet();
        ConsumerSink sink = new ConsumerSink() {
            @Override
            public boolean isWritable() {
                return true;
            }

            @Override
            public void deliver(DeliverFrame frame) {
                assertThat(frame.payload().length()).isEqualTo(big.length);
                delivered.add(frame.offset());
            }

            @Override
            public void flush() {
            }

            @Override
            public void cancelled(int consumerId, ErrorCode code, String message) {
            }
        };
        engine.subscribe("q", "s", 1000, 1, sink, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> delivered.size() == 200);
    }

    @Test
    void shouldRedeliverEveryUnsettledMessageOfADetachedConsumerExactlyOnce() throws Exception {
        // two consumers share the subscription and take turns, so their in-flight offsets interleave
        RecordingSink gone = new RecordingSink();
        RecordingSink stays = new RecordingSink();
        Consumer first = engine.subscribe("q", "s", 150, 1, gone, c -> { }).get(10, TimeUnit.SECONDS);
        engine.subscribe("q", "s", 150, 2, stays, c -> { }).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 300; i++) {
            engine.publish("q", "tester", List.of(PublishMessage.of(Bytes.utf8("m" + i)))).join();
        }
        Awaitility.await().atMost(10, TimeUnit.SECONDS)
                .until(() -> gone.delivered.size() + stays.delivered.size() == 300);
        engine.detach(first);

        List<Long> again = new java.util.concurrent.CopyOnWriteArrayList<>();
        RecordingSink next = new RecordingSink() {
            @Override
            public void deliver(DeliverFrame frame) {
                again.add(frame.offset());
            }
        };
        engine.subscribe("q", "s", 1000, 3, next, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> again.size() >= gone.delivered.size());
        // an ack of nothing runs on the queue's executor after the redeliveries
        engine.ack(first, new long[0]).get(10, TimeUnit.SECONDS);
        // every offset the detached consumer held comes back once, none lost, none twice
        assertThat(again).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(gone.delivered);
    }

    @Test
    void shouldStopDeliveringAboveTheConsumersWindowInBytesUntilAnAckOpensIt() throws Exception {
        byte[] big = new byte[64 * 1024];
        for (int i = 0; i < 10; i++) {
            engine.publish("q", "tester", List.of(new PublishMessage("", 0, 0,
                    org.securebroker.protocol.frame.Headers.EMPTY, Bytes.copyOf(big), Bytes.EMPTY))).join();
        }
        RecordingSink sink = new RecordingSink() {
            @Override
            public long windowBytes() {
                return 100 * 1024;
            }
        };
        Consumer consumer = engine.subscribe("q", "s", 1000, 1, sink, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> sink.delivered.size() == 2);
        // an ack of nothing runs on the queue's executor after any dispatch that was still going
        engine.ack(consumer, new long[0]).get(10, TimeUnit.SECONDS);
        assertThat(sink.delivered).hasSize(2);

        engine.ack(consumer, new long[] {sink.delivered.iterator().next()}).get(10, TimeUnit.SECONDS);

        assertThat(sink.delivered).hasSize(3);
    }

    @Test
    void shouldKeepRunningAQueueWhileANewSubscriptionIsMadeDurable() throws Exception {
        FaultyFileLayer layer = new FaultyFileLayer();
        try (Store held = Store.open(StoreConfig.builder(dir.resolve("held"), Clock.systemUTC(), new SecureRandom()).fileLayer(layer).build(),
                TestStores.keyring());
             QueueEngine heldEngine = QueueEngine.start(held, dir.resolve("held-queues.json"), EngineSettings.DEFAULTS,
                     Clock.systemUTC(), List.of(QueueDefinition.simple("q")), false)) {
            FaultyFileLayer.Gate gate = layer.holdForces(f -> f.getFileName().toString().startsWith("journal-"));
            CompletableFuture<Consumer> first = heldEngine.subscribe("q", "s", 10, 1, new RecordingSink(), c -> { });
            gate.awaitForcing(); // the subscription's creation waits for its fsync
            CompletableFuture<Consumer> second = heldEngine.subscribe("q", "s", 10, 2, new RecordingSink(), c -> { });

            CompletableFuture<Void> ran = new CompletableFuture<>();
            heldEngine.queueOrNull("q").executor().execute(() -> ran.complete(null));
            ran.get(10, TimeUnit.SECONDS); // the queue's thread is not blocked meanwhile
            assertThat(first).isNotDone();
            assertThat(second).isNotDone();

            gate.release();
            Consumer a = first.get(10, TimeUnit.SECONDS);
            Consumer b = second.get(10, TimeUnit.SECONDS);
            assertThat(a.dispatcher).as("one subscription, created once").isSameAs(b.dispatcher);
        }
    }

    @Test
    void shouldCountUnsettledDeliveriesWithoutWaitingForABusyQueue() throws Exception {
        for (int i = 0; i < 3; i++) {
            engine.publish("q", "tester", List.of(PublishMessage.of(Bytes.utf8("m" + i)))).join();
        }
        RecordingSink sink = new RecordingSink();
        engine.subscribe("q", "s", 10, 1, sink, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> engine.unacknowledged() == 3);

        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(1);
        engine.queueOrNull("q").executor().execute(() -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
            long counted = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> engine.unacknowledged());
            assertThat(counted).as("the busy queue's last count, not left out").isEqualTo(3);
        } finally {
            release.countDown();
        }
    }
}
