package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

/** The queue engine without sockets. */
class QueueEngineTest {

    @TempDir
    Path dir;

    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void start() throws Exception {
        store = Store.open(StoreConfig.builder(dir.resolve("store")).subscriptionSyncInterval(Duration.ofMillis(1)).build(),
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
}
