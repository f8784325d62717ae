package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.request.RequestException;
import org.securebroker.server.tls.LogCapture;
import org.securebroker.store.Store;
import org.securebroker.store.StoreConfig;
import org.securebroker.store.TestStores;
import org.securebroker.store.crypto.Keyring;

/**
 * Queues the engine knows but cannot serve: every request on them is refused with
 * QUEUE_UNAVAILABLE, naming the queue and no file, while the other queues work; the engine never
 * invents a definition or an empty log to paper over the gap.
 */
class UnavailableQueuesTest {

    @TempDir
    Path dir;

    private final Keyring keyring = TestStores.keyring();
    private Store store;
    private QueueEngine engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private StoreConfig.Builder storeConfig() {
        return TestStores.config(dir.resolve("store")).segmentBytes(4096);
    }

    private void openStore() {
        store = Store.open(storeConfig().build(), keyring);
    }

    private QueueEngine start(QueueDefinition... configured) throws Exception {
        engine = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, Clock.systemUTC(),
                List.of(configured), false);
        return engine;
    }

    private void restart(QueueDefinition... configured) throws Exception {
        engine.close();
        engine = null;
        store.close();
        openStore();
        start(configured);
    }

    /** Collects deliveries and acknowledges nothing. */
    private static final class Sink implements ConsumerSink {
        final List<String> payloads = new CopyOnWriteArrayList<>();
        final Set<Long> offsets = ConcurrentHashMap.newKeySet();

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void deliver(DeliverFrame frame) {
            payloads.add(new String(frame.payload().toByteArray(), java.nio.charset.StandardCharsets.UTF_8));
            offsets.add(frame.offset());
        }

        @Override
        public void flush() {
        }

        @Override
        public void cancelled(int consumerId, ErrorCode code, String message) {
        }
    }

    private static RequestException refusal(CompletableFuture<?> future) {
        try {
            future.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            assertThat(cause).isInstanceOf(RequestException.class);
            return (RequestException) cause;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the request was not refused");
    }

    /** Publishing and subscribing are refused, naming the queue, never a file. */
    private void assertRefusedAsUnavailable(String queue) {
        RequestException published = refusal(engine.publish(queue, "tester",
                List.of(PublishMessage.of(Bytes.utf8("x")))));
        assertThat(published.code()).isEqualTo(ErrorCode.QUEUE_UNAVAILABLE);
        assertThat(published.getMessage()).contains("queue '" + queue + "' is unavailable")
                .contains("an operator must repair it").doesNotContain(dir.toString()).doesNotContain(".seg");
        assertThat(refusal(engine.subscribe(queue, "s", 10, 1, new Sink(), c -> { })).code())
                .isEqualTo(ErrorCode.QUEUE_UNAVAILABLE);
        assertThat(engine.exists(queue)).isTrue();
        assertThat(engine.listQueues()).extracting(q -> q.name()).doesNotContain(queue);
    }

    /** The other queue takes a message and delivers it. */
    private void assertServes(String queue) throws Exception {
        engine.publish(queue, "tester", List.of(PublishMessage.of(Bytes.utf8("still works")))).get(10,
                TimeUnit.SECONDS);
        Sink sink = new Sink();
        engine.subscribe(queue, "check", 10, 9, sink, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> sink.payloads.contains("still works"));
    }

    @Test
    void shouldRefuseEveryRequestOnALogWithoutADefinitionAndServeTheOthers() throws Exception {
        openStore();
        start(QueueDefinition.simple("ok"));
        engine.close();
        engine = null;
        store.createLog("orphan"); // a log no definition names: never adopted with made-up settings

        try (LogCapture log = LogCapture.of(QueueEngine.class)) {
            start(QueueDefinition.simple("ok"));
            assertThat(log.messages(Level.ERROR)).filteredOn(m -> m.contains("'orphan'")).hasSize(1)
                    .allSatisfy(m -> assertThat(m).contains("no definition").contains("broker queue create orphan"));
            assertThat(log.messages(Level.WARN)).noneMatch(m -> m.contains("default settings"));
        }
        assertThat(engine.unavailableQueues()).extracting(UnavailableQueue::name).containsExactly("orphan");
        assertThat(engine.unavailableQueues().get(0).defined()).isFalse();
        assertRefusedAsUnavailable("orphan");
        assertServes("ok");
    }

    @Test
    void shouldServeALogWithoutADefinitionOnceAnOperatorDefinesIt() throws Exception {
        openStore();
        store.createLog("orphan").append(org.securebroker.server.message.MessageEnvelope.of(1, 0, "p", "", 0,
                org.securebroker.protocol.frame.Headers.EMPTY, Bytes.utf8("kept"), Bytes.EMPTY, false).encode()).join();
        Files.writeString(dir.resolve("queues.json"), "{\"version\": 1, \"queues\": []}");
        start();
        assertThat(engine.exists("orphan")).isTrue();

        engine.createQueue(QueueDefinition.simple("orphan")).get(10, TimeUnit.SECONDS);
        assertThat(engine.unavailableQueues()).isEmpty();
        Sink sink = new Sink();
        engine.subscribe("orphan", "s", 10, 1, sink, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> sink.payloads.contains("kept"));

        restart();
        assertThat(engine.unavailableQueues()).isEmpty();
        assertThat(engine.definition("orphan")).contains(QueueDefinition.simple("orphan"));
    }

    @Test
    void shouldDeleteAnUnavailableQueue() throws Exception {
        openStore();
        start(QueueDefinition.simple("ok"));
        engine.close();
        engine = null;
        store.createLog("orphan");
        start(QueueDefinition.simple("ok"));
        engine.deleteQueue("orphan").get(10, TimeUnit.SECONDS);
        assertThat(engine.exists("orphan")).isFalse();
        assertThat(store.logNames()).containsExactly("ok");
        restart(QueueDefinition.simple("ok"));
        assertThat(engine.unavailableQueues()).isEmpty();
    }

    @Test
    void shouldCreateTheLogOfADefinitionWhoseCreationAStopInterrupted() throws Exception {
        openStore();
        start(QueueDefinition.simple("q"));
        engine.close();
        engine = null;
        store.deleteLog("q"); // the definition was written, the log not yet
        start();
        assertThat(engine.unavailableQueues()).isEmpty();
        assertThat(store.logNames()).containsExactly("q");
        assertServes("q");
    }

    @Test
    void shouldFinishADeletionAStopInterrupted() throws Exception {
        openStore();
        start(QueueDefinition.simple("q"), QueueDefinition.simple("other"));
        engine.close();
        engine = null;
        QueueCatalog catalog = new QueueCatalog(dir.resolve("queues.json"),
                org.securebroker.store.io.DefaultFileLayer.INSTANCE, store);
        catalog.load();
        catalog.beginDelete("q"); // the mark was written, the log not yet deleted
        start();
        assertThat(engine.exists("q")).isFalse();
        assertThat(engine.unavailableQueues()).isEmpty();
        assertThat(store.logNames()).containsExactly("other");
        assertThat(QueueCatalog.read(dir.resolve("queues.json"), k -> store.metadataMac(QueueCatalog.PURPOSE, k))
                .deleting()).isEmpty();
    }

    @Test
    void shouldKeepDeadLettersWhileTheDeadLetterQueueIsUnavailable() throws Exception {
        openStore();
        store.createLog("dlq"); // no definition: unavailable
        store.createLog("work");
        Files.writeString(dir.resolve("queues.json"), "{\"version\": 1, \"queues\": [{\"name\": \"work\", "
                + "\"maxDeliveries\": 1, \"deadLetterQueue\": \"dlq\", \"defaultTtlMillis\": 0}]}");
        start();
        assertThat(engine.unavailableQueues()).extracting(UnavailableQueue::name).containsExactly("dlq");
        engine.publish("work", "tester", List.of(PublishMessage.of(Bytes.utf8("poison")))).get(10, TimeUnit.SECONDS);
        try (LogCapture log = LogCapture.of(BrokerQueue.class)) {
            Sink sink = new Sink();
            Consumer c = engine.subscribe("work", "s", 10, 1, sink, x -> { }).get(10, TimeUnit.SECONDS);
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> sink.payloads.size() == 1);
            long offset = sink.offsets.iterator().next();
            engine.nack(c, offset, 0).get(10, TimeUnit.SECONDS);
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> log.messages(Level.ERROR).stream()
                    .anyMatch(m -> m.contains("its dead-letter queue 'dlq' is unavailable")));
            assertThat(engine.counters()).noneSatisfy((k, v) -> assertThat(k).startsWith("dropped"));
            assertThat(store.requireLog("work").subscriptions().isAcked("s", offset)).as("kept, not dropped").isFalse();
        }
    }

    /**
     * Needs the store to report a log whose files do not add up ({@code Store.unavailableLogs()}),
     * the store side of the authenticated log.
     */
    @Test
    void shouldRefuseEveryRequestOnAQueueWhoseLogIsMissingASegmentAndServeTheOthers() throws Exception {
        openStore();
        start(QueueDefinition.simple("broken"), QueueDefinition.simple("ok"));
        byte[] payload = new byte[1500];
        for (int i = 0; i < 12; i++) {
            engine.publish("broken", "tester", List.of(PublishMessage.of(Bytes.copyOf(payload)))).get(10,
                    TimeUnit.SECONDS);
        }
        engine.close();
        engine = null;
        store.close();
        List<Path> segments = new ArrayList<>(TestStores.segmentFiles(dir.resolve("store"), "broken"));
        assertThat(segments).hasSizeGreaterThan(2);
        Files.delete(segments.get(1));

        openStore();
        List<UnavailableQueue> audited = new CopyOnWriteArrayList<>();
        start(QueueDefinition.simple("broken"), QueueDefinition.simple("ok"));
        engine.unavailableObserver(audited::add);
        assertThat(audited).extracting(UnavailableQueue::name).containsExactly("broken");
        assertThat(audited.get(0).problem()).contains(segments.get(1).getFileName().toString());
        assertRefusedAsUnavailable("broken");
        assertThat(refusal(engine.createQueue(QueueDefinition.simple("broken"))).code())
                .isEqualTo(ErrorCode.QUEUE_UNAVAILABLE);
        assertServes("ok");

        engine.deleteQueue("broken").get(10, TimeUnit.SECONDS);
        assertThat(engine.exists("broken")).isFalse();
    }
}
