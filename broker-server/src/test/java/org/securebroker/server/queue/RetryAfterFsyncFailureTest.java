package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.integrity.MessageSigner;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Log;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.io.FaultyFileLayer;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.record.StoredRecord;

/**
 * The promise of docs/protocol.md for {@code STORE_UNAVAILABLE}: a publish whose fsync failed has
 * an unknown outcome (the record may or may not be on disk after the restart), and a retry with
 * the same producer id and sequence after the restart is stored at most once, so a consumer
 * receives the message exactly once, whichever way the disk went.
 */
class RetryAfterFsyncFailureTest {

    @TempDir
    Path dir;

    private final Keyring keyring = TestStores.keyring();
    private final SigningKey signingKey = SigningKey.generate(new SecureRandom());
    private Store store;
    private QueueEngine engine;

    @AfterEach
    void stop() {
        closeAll();
    }

    private void closeAll() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
    }

    private void start(FileLayer files, EngineSettings settings) throws Exception {
        MessageSigner signer = new MessageSigner(signingKey, () -> 0, nanos -> { });
        store = Store.open(TestStores.config(dir.resolve("store")).fileLayer(files).sealer(signer).build(), keyring);
        engine = QueueEngine.start(store, dir.resolve("queues.json"), settings, Clock.systemUTC(),
                List.of(QueueDefinition.simple("q")), false, true, files);
    }

    private static PublishMessage message(String producer, long sequence, String text) {
        return new PublishMessage(producer, sequence, 0, Headers.EMPTY, Bytes.utf8(text), Bytes.EMPTY);
    }

    private static ErrorCode refusedWith(java.util.concurrent.CompletableFuture<?> publish) throws Exception {
        try {
            publish.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            return ((RequestException) cause).code();
        }
        throw new AssertionError("the publish was acknowledged");
    }

    /** How many records of the log carry (producer, sequence). */
    private int copies(String producer, long sequence) {
        Log log = store.requireLog("q");
        int n = 0;
        for (long at = log.startOffset(); at < log.endOffset(); ) {
            List<StoredRecord> records = log.read(at, 1024, 16L << 20);
            if (records.isEmpty()) {
                break;
            }
            for (StoredRecord r : records) {
                MessageEnvelope e = MessageEnvelope.decode(r.payload());
                if (e.producerId().equals(producer) && e.sequence() == sequence) {
                    n++;
                }
            }
            at = records.get(records.size() - 1).offset() + 1;
        }
        return n;
    }

    private long recordCount() {
        Log log = store.requireLog("q");
        long n = 0;
        for (long at = log.startOffset(); at < log.endOffset(); ) {
            List<StoredRecord> records = log.read(at, 1024, 16L << 20);
            if (records.isEmpty()) {
                break;
            }
            n += records.size();
            at = records.get(records.size() - 1).offset() + 1;
        }
        return n;
    }

    /** Every payload a new subscription receives, once it has received as many as the log holds. */
    private List<String> consumeAll() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        ConsumerSink sink = new ConsumerSink() {
            @Override
            public boolean isWritable() {
                return true;
            }

            @Override
            public void deliver(DeliverFrame frame) {
                received.add(new String(frame.payload().toByteArray(), StandardCharsets.UTF_8));
            }

            @Override
            public void flush() {
            }

            @Override
            public void cancelled(int consumerId, ErrorCode code, String message) {
            }
        };
        // the log may skip offsets (reserved before an unclean stop): count its records
        long stored = recordCount();
        engine.subscribe("q", "consumer", 100_000, 1, sink, c -> { }).get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> received.size() >= stored);
        Awaitility.await().during(Duration.ofMillis(200)).atMost(5, TimeUnit.SECONDS)
                .until(() -> received.size() == stored);
        return received;
    }

    /**
     * The fsync fails after the write: the record is in the file when the broker restarts, unless
     * the store's recovery drops what was never acknowledged. Either way the retry leaves one copy.
     */
    @Test
    void shouldStoreARetryOfAPublishWhoseFsyncFailedExactlyOnce() throws Exception {
        FaultyFileLayer disk = new FaultyFileLayer();
        start(disk, EngineSettings.DEFAULTS);
        engine.publish("q", "alice", List.of(message("producer-1", 1, "first"))).get(10, TimeUnit.SECONDS);
        disk.failForce.set(true);
        assertThat(refusedWith(engine.publish("q", "alice", List.of(message("producer-1", 2, "second")))))
                .isEqualTo(ErrorCode.STORE_UNAVAILABLE);
        closeAll();

        start(new FaultyFileLayer(), EngineSettings.DEFAULTS);
        boolean survived = copies("producer-1", 2) == 1;
        List<PublishResult> retry = engine.publish("q", "alice", List.of(message("producer-1", 2, "second")))
                .get(10, TimeUnit.SECONDS);
        assertThat(retry.get(0).duplicate()).as("a duplicate exactly when the first copy survived").isEqualTo(survived);
        assertThat(copies("producer-1", 2)).isEqualTo(1);
        assertThat(consumeAll()).containsExactly("first", "second");
    }

    /** The write itself fails: nothing reaches the file, and the retry is stored as new. */
    @Test
    void shouldStoreARetryOfAPublishWhoseWriteFailedExactlyOnce() throws Exception {
        FaultyFileLayer disk = new FaultyFileLayer();
        start(disk, EngineSettings.DEFAULTS);
        engine.publish("q", "alice", List.of(message("producer-1", 1, "first"))).get(10, TimeUnit.SECONDS);
        disk.failWrite.set(true);
        assertThat(refusedWith(engine.publish("q", "alice", List.of(message("producer-1", 2, "second")))))
                .isEqualTo(ErrorCode.STORE_UNAVAILABLE);
        closeAll();

        start(new FaultyFileLayer(), EngineSettings.DEFAULTS);
        assertThat(copies("producer-1", 2)).isZero();
        List<PublishResult> retry = engine.publish("q", "alice", List.of(message("producer-1", 2, "second")))
                .get(10, TimeUnit.SECONDS);
        assertThat(retry.get(0).duplicate()).isFalse();
        assertThat(copies("producer-1", 2)).isEqualTo(1);
        assertThat(consumeAll()).containsExactly("first", "second");
    }

    /**
     * The failed group commit held the producer's message and, after it, many more records of
     * other producers than the de-duplication window: rebuilding de-duplication from the last
     * window of records alone would miss it.
     */
    @Test
    void shouldRecognizeTheRetryWhenManyOtherRecordsFollowedItInTheFailedCommit() throws Exception {
        EngineSettings smallWindow = new EngineSettings(Duration.ofSeconds(30), 1024 * 1024, 16, 10_000, 2);
        FaultyFileLayer disk = new FaultyFileLayer();
        start(disk, smallWindow);
        engine.publish("q", "alice", List.of(message("producer-1", 6, "earlier"))).get(10, TimeUnit.SECONDS);
        List<PublishMessage> batch = new ArrayList<>();
        batch.add(message("producer-1", 7, "mine"));
        for (int i = 0; i < 999; i++) {
            batch.add(message("other-" + i, 1, "theirs " + i));
        }
        disk.failForce.set(true);
        assertThat(refusedWith(engine.publish("q", "alice", batch))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
        closeAll();

        start(new FaultyFileLayer(), smallWindow);
        int before = copies("producer-1", 7);
        List<PublishResult> retry = engine.publish("q", "alice", List.of(message("producer-1", 7, "mine")))
                .get(10, TimeUnit.SECONDS);
        assertThat(retry.get(0).duplicate()).isEqualTo(before == 1);
        assertThat(copies("producer-1", 7)).isEqualTo(1);
        assertThat(consumeAll()).filteredOn("mine"::equals).hasSize(1);
    }
}
