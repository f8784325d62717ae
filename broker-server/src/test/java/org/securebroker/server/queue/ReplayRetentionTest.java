package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.QueueInfo;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.testing.MutableClock;

/**
 * Replay retention ({@code queues.replayRetention}) on a real store with small segments: what it
 * keeps stays readable for BROWSE and SEEK for the retention and goes after it, it is never
 * anyone's lag, and at a queue's depth limit it goes before a publisher is refused or an
 * unacknowledged message is moved out.
 */
class ReplayRetentionTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final BrokerConfig.Quotas QUOTAS = new BrokerConfig.Quotas(
            new BrokerConfig.PrincipalQuota(0, 0, 0, 0, 0, 0), Map.of());
    /** About three records of this payload fit a segment of 4 KiB. */
    private static final int PAYLOAD = 1000;

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.at(T0);
    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void open() throws Exception {
        store = Store.open(TestStores.config(dir.resolve("store")).segmentBytes(4096).build(), TestStores.keyring());
        engine = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, clock,
                List.of(QueueDefinition.simple("q"),
                        new QueueDefinition("counted", 0, "", Duration.ZERO, false,
                                new QueueDefinition.Depth(5, 0, QueueDefinition.Overflow.REJECT)),
                        new QueueDefinition("d", 0, "d.dlq", Duration.ZERO, false, null),
                        QueueDefinition.simple("d.dlq")), false);
        engine.limits(QUOTAS, new QueueDefinition.Depth(0, 0, QueueDefinition.Overflow.REJECT), r -> { });
        engine.subscriptions().settings(Duration.ZERO, RETENTION);
    }

    @AfterEach
    void close() {
        engine.close();
        store.close();
    }

    private void publish(String queue, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            get(engine.publish(queue, "alice", List.of(PublishMessage.of(Bytes.copyOf(new byte[PAYLOAD])))));
        }
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** Attaches a consumer and acknowledges the first {@code n} deliveries. */
    private Consumer consumeAndAck(String queue, String subscription, int n) throws Exception {
        RecordingSink sink = new RecordingSink();
        Consumer c = get(engine.subscribe(queue, subscription, 1000, 1, sink, x -> { }, "alice"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.delivered.size() >= n);
        long[] offsets = sink.delivered.stream().limit(n).mapToLong(Long::longValue).toArray();
        assertThat(get(engine.ack(c, offsets))).isEmpty();
        return c;
    }

    private BrokerQueue queue(String name) {
        return engine.queueOrNull(name);
    }

    private SubscriptionAdmin.Status status(String queue, String subscription) throws Exception {
        return get(engine.subscriptions().list(queue)).stream().filter(s -> s.name().equals(subscription))
                .findFirst().orElseThrow();
    }

    private List<Long> browsed(String queue) throws Exception {
        return get(engine.subscriptions().browse(queue, 0, 1000, 1 << 20, 1 << 20)).messages().stream()
                .map(SubscriptionAdmin.Browsed::offset).toList();
    }

    /** The release runs about a second after the acknowledgements: waits it out, then checks nothing went. */
    private void assertNothingReleasedAfterTheAcks(String queue) {
        Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> queue(queue).log().startOffset() == 0);
    }

    @Test
    void shouldKeepAcknowledgedMessagesReadableForTheRetentionAndReleaseThemAfterIt() throws Exception {
        publish("q", 3);
        clock.advance(Duration.ofMinutes(40));
        publish("q", 2);
        engine.detach(consumeAndAck("q", "s", 5));
        assertNothingReleasedAfterTheAcks("q");
        assertThat(browsed("q")).containsExactly(0L, 1L, 2L, 3L, 4L);

        // nothing is acknowledged any more: the passing of time alone lets the oldest go
        clock.advance(Duration.ofMinutes(30));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue("q").log().startOffset() == 3);
        assertThat(browsed("q")).as("the two stored 30 min ago stay").containsExactly(3L, 4L);

        clock.advance(Duration.ofMinutes(40));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue("q").log().startOffset() == 5);
        assertThat(browsed("q")).isEmpty();
    }

    @Test
    void shouldLetASubscriptionSeekBackIntoWhatTheRetentionKeeps() throws Exception {
        publish("q", 5);
        Consumer c = consumeAndAck("q", "s", 5);
        engine.detach(c);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").consumers() == 0);
        assertNothingReleasedAfterTheAcks("q");

        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 1, "alice")))
                .isEqualTo(1);

        assertThat(status("q", "s").pending()).isEqualTo(4);
        RecordingSink replay = new RecordingSink();
        get(engine.subscribe("q", "s", 1000, 2, replay, x -> { }, "alice"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> replay.delivered.size() >= 4);
        assertThat(replay.delivered).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void shouldNeverCountWhatIsKeptForReplayAsLagOrDepth() throws Exception {
        publish("q", 4);
        consumeAndAck("q", "s", 3);
        assertNothingReleasedAfterTheAcks("q");

        SubscriptionAdmin.Status s = status("q", "s");
        assertThat(s.pending()).as("only offset 3 is not acknowledged").isEqualTo(1);
        assertThat(s.cursor()).isEqualTo(3);
        assertThat(queue("q").depth()).isEqualTo(1);
        assertThat(engine.listQueues()).filteredOn(i -> i.name().equals("q")).extracting(QueueInfo::messages)
                .containsExactly(1L);
    }

    @Test
    void shouldReleaseWhatIsKeptForReplayBeforeRefusingAPublishPastTheMessageLimit() throws Exception {
        publish("counted", 5);
        consumeAndAck("counted", "s", 5);
        assertNothingReleasedAfterTheAcks("counted");

        publish("counted", 4); // 4 unacknowledged: within the limit of 5, whatever is kept for replay
        assertThat(queue("counted").log().startOffset()).isZero();
        publish("counted", 1);
        RequestException full = refusal(engine.publish("counted", "alice",
                List.of(PublishMessage.of(Bytes.utf8("one too many")))));

        assertThat(full.code()).isEqualTo(ErrorCode.QUEUE_FULL);
        assertThat(full.getMessage()).contains("holds 5 messages");
        assertThat(queue("counted").log().startOffset()).as("what replay kept went first").isEqualTo(5);
    }

    @Test
    void shouldAcceptThePublishThatReleasingWhatIsKeptForReplayMakesRoomFor() throws Exception {
        publish("q", 12);
        consumeAndAck("q", "s", 12);
        assertNothingReleasedAfterTheAcks("q");
        long full = queue("q").log().sizeBytes();
        assertThat(queue("q").log().segmentCount()).isGreaterThanOrEqualTo(3);
        // the next record passes the byte limit unless what replay keeps goes
        engine.limits(QUOTAS, new QueueDefinition.Depth(0, full + PAYLOAD / 2, QueueDefinition.Overflow.REJECT),
                r -> { });

        publish("q", 2);

        assertThat(queue("q").log().startOffset()).isEqualTo(12);
        assertThat(browsed("q")).containsExactly(12L, 13L);
    }

    @Test
    void shouldReleaseWhatIsKeptForReplayBeforeMovingAnyUnacknowledgedMessageOut() throws Exception {
        publish("d", 12);
        consumeAndAck("d", "s", 12);
        assertNothingReleasedAfterTheAcks("d");
        long full = queue("d").log().sizeBytes();
        engine.limits(QUOTAS, new QueueDefinition.Depth(0, full + PAYLOAD / 2,
                QueueDefinition.Overflow.DEAD_LETTER_OLDEST), r -> { });

        publish("d", 2);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue("d").log().startOffset() == 12);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue("d").log().sizeBytes() <= full);
        Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> queue("d.dlq").log().endOffset() == 0);
        assertThat(status("d", "s").pending()).as("both new messages still wait for the subscription").isEqualTo(2);
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
}
