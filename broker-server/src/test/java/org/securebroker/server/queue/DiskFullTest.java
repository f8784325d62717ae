package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.integrity.MessageSigner;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.io.FaultyFileLayer;

/**
 * A full disk, on every path a write can take from the engine: publishes (single and concurrent,
 * across segment rolls, with signing on as in production), queue creation (the catalog file),
 * subscriptions. Each refusal is STORE_FULL and counted; nothing half-done stays behind; writes
 * work again once there is space.
 */
class DiskFullTest {

    @TempDir
    Path dir;

    private final Keyring keyring = TestStores.keyring();
    private final FaultyFileLayer disk = new FaultyFileLayer();
    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void start() throws Exception {
        openStore();
        startEngine();
    }

    private void openStore() {
        MessageSigner signer = new MessageSigner(SigningKey.generate(new SecureRandom()), () -> 0, nanos -> { });
        store = Store.open(TestStores.config(dir.resolve("store")).segmentBytes(8192).fileLayer(disk).sealer(signer)
                .build(), keyring);
    }

    private void startEngine() throws Exception {
        engine = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, Clock.systemUTC(),
                List.of(QueueDefinition.simple("q")), false, true, disk);
    }

    @AfterEach
    void stop() {
        disk.diskFull.set(false);
        engine.close();
        store.close();
    }

    private CompletableFuture<?> publish(String text) {
        return engine.publish("q", "tester", List.of(PublishMessage.of(Bytes.utf8(text))));
    }

    /** The code a request was refused with, or null if it succeeded. */
    private static ErrorCode outcome(CompletableFuture<?> request) throws InterruptedException {
        try {
            request.get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            assertThat(cause).isInstanceOf(RequestException.class);
            RequestException r = (RequestException) cause;
            if (r.code() == ErrorCode.STORE_FULL) {
                assertThat(r.getMessage()).isEqualTo(RequestException.DISK_FULL_MESSAGE);
            }
            return r.code();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer", e);
        }
    }

    @Test
    void shouldRefusePublishesWithStoreFullAndStoreAgainOnceThereIsSpace() throws Exception {
        publish("before").get(10, TimeUnit.SECONDS);
        disk.diskFull.set(true);
        for (int i = 0; i < 20; i++) {
            assertThat(outcome(publish("refused " + i))).isEqualTo(ErrorCode.STORE_FULL);
        }
        assertThat(engine.storeFullRefusals()).isEqualTo(20);
        disk.diskFull.set(false);
        publish("after").get(10, TimeUnit.SECONDS);
        assertThat(delivered(2)).containsExactly("before", "after");
    }

    /**
     * Many producers at once, so that group commits hold several publishes and segments roll
     * while the disk is full: every refusal must still be STORE_FULL. Needs the store to report
     * {@code DISK_FULL} health (or to fail an append that followed a disk-full write in its group
     * commit with {@code DISK_FULL} itself): today it fails those with IO_ERROR.
     */
    @Test
    void shouldRefuseConcurrentPublishesAcrossSegmentRollsOnlyWithStoreFull() throws Exception {
        for (int i = 0; i < 10; i++) {
            publish("warm " + i).get(10, TimeUnit.SECONDS);
        }
        disk.diskFull.set(true);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            all.add(publish("concurrent " + i + " " + "x".repeat(300)));
        }
        Map<ErrorCode, Integer> codes = new EnumMap<>(ErrorCode.class);
        int stored = 0;
        for (CompletableFuture<?> f : all) {
            ErrorCode code = outcome(f);
            if (code == null) {
                stored++;
            } else {
                codes.merge(code, 1, Integer::sum);
            }
        }
        assertThat(stored).as("nothing is stored on a full disk").isZero();
        assertThat(codes).containsOnlyKeys(ErrorCode.STORE_FULL);
        assertThat(engine.storeFullRefusals()).isEqualTo(400);
        disk.diskFull.set(false);
        publish("after").get(10, TimeUnit.SECONDS);
        assertThat(delivered(11)).contains("after").noneMatch(m -> m.startsWith("concurrent"));
    }

    @Test
    void shouldRefuseCreatingAQueueWithStoreFullAndLeaveNothingBehind() throws Exception {
        disk.diskFull.set(true);
        assertThat(outcome(engine.createQueue(QueueDefinition.simple("new")))).isEqualTo(ErrorCode.STORE_FULL);
        assertThat(engine.exists("new")).isFalse();
        disk.diskFull.set(false);
        engine.close();
        startEngine();
        assertThat(engine.exists("new")).isFalse();
        assertThat(store.logNames()).containsExactly("q");
        engine.createQueue(QueueDefinition.simple("new")).get(10, TimeUnit.SECONDS);
        assertThat(engine.exists("new")).isTrue();
    }

    @Test
    void shouldDeleteAQueueToFreeSpaceWhileTheDiskIsFull() throws Exception {
        engine.createQueue(QueueDefinition.simple("big")).get(10, TimeUnit.SECONDS);
        disk.diskFull.set(true);
        engine.deleteQueue("big").get(10, TimeUnit.SECONDS);
        assertThat(engine.exists("big")).isFalse();
        assertThat(store.logNames()).containsExactly("q");
        disk.diskFull.set(false);
        engine.close();
        startEngine();
        assertThat(engine.exists("big")).as("the catalog caught up").isFalse();
    }

    /** What a new subscription receives, once it has {@code count} messages (and a moment for more). */
    private List<String> delivered(int count) throws Exception {
        List<String> out = new java.util.concurrent.CopyOnWriteArrayList<>();
        ConsumerSink sink = new ConsumerSink() {
            @Override
            public boolean isWritable() {
                return true;
            }

            @Override
            public void deliver(DeliverFrame frame) {
                out.add(new String(frame.payload().toByteArray(), java.nio.charset.StandardCharsets.UTF_8));
            }

            @Override
            public void flush() {
            }

            @Override
            public void cancelled(int consumerId, ErrorCode code, String message) {
            }
        };
        engine.subscribe("q", "reader", 10_000, 1, sink, c -> { }).get(10, TimeUnit.SECONDS);
        org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> out.size() >= count);
        return out;
    }
}
