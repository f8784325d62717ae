package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.testing.MutableClock;

/**
 * Subscription administration on a real store: each operation, its refusals, and what it must
 * leave alone (delivery counts for browse, nothing dropped for a refused reject).
 */
class SubscriptionAdminTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final BrokerConfig.Quotas QUOTAS = new BrokerConfig.Quotas(
            new BrokerConfig.PrincipalQuota(0, 0, 0, 0, 0, 0),
            Map.of("bob", new BrokerConfig.PrincipalQuota(0, 0, 2, 0, 0, 0)));

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.at(T0);
    private final List<String> events = new CopyOnWriteArrayList<>();
    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void open() throws Exception {
        store = Store.open(TestStores.config(dir.resolve("store")).build(), TestStores.keyring());
        engine = start(Duration.ofHours(1));
    }

    private QueueEngine start(Duration idle) throws Exception {
        QueueEngine e = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, clock,
                List.of(new QueueDefinition("q", 0, "q.dlq", Duration.ZERO, false, null),
                        QueueDefinition.simple("q.dlq"), QueueDefinition.simple("plain")), false);
        e.limits(QUOTAS, QueueDefinition.Depth.DEFAULT, r -> { });
        e.subscriptions().settings(idle, Duration.ZERO);
        e.subscriptions().events((type, principal, queue, subscription, details) ->
                events.add(type + " " + principal + " " + queue + "/" + subscription + " " + details));
        return e;
    }

    @AfterEach
    void close() {
        engine.close();
        store.close();
    }

    /** Keeps every delivery frame and every cancellation. */
    static final class FrameSink implements ConsumerSink {
        final List<DeliverFrame> frames = new CopyOnWriteArrayList<>();
        final List<String> cancelled = new CopyOnWriteArrayList<>();

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void deliver(DeliverFrame frame) {
            frames.add(frame);
        }

        @Override
        public void flush() {
        }

        @Override
        public void cancelled(int consumerId, ErrorCode code, String message) {
            cancelled.add(code + ": " + message);
        }

        List<Long> offsets() {
            return frames.stream().map(DeliverFrame::offset).toList();
        }
    }

    private void publish(String queue, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            engine.publish(queue, "alice", List.of(PublishMessage.of(Bytes.utf8("m" + i)))).get(10, TimeUnit.SECONDS);
        }
    }

    private Consumer subscribe(String queue, String subscription, FrameSink sink, String principal) throws Exception {
        return engine.subscribe(queue, subscription, 1000, 1, sink, c -> { }, principal).get(10, TimeUnit.SECONDS);
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

    private void awaitDelivered(FrameSink sink, int n) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.frames.size() >= n);
    }

    private SubscriptionAdmin.Status status(String queue, String subscription) throws Exception {
        return get(engine.subscriptions().list(queue)).stream().filter(s -> s.name().equals(subscription))
                .findFirst().orElseThrow();
    }

    private void acked(Consumer c, long... offsets) throws Exception {
        assertThat(get(engine.ack(c, offsets))).isEmpty();
    }

    // ---- unknown queue or subscription

    @Test
    void shouldRefuseAnUnknownQueueAndAnUnknownSubscription() {
        assertThat(refusal(engine.subscriptions().list("nope")).code()).isEqualTo(ErrorCode.QUEUE_NOT_FOUND);
        assertThat(refusal(engine.subscriptions().purge("nope", "alice")).code()).isEqualTo(ErrorCode.QUEUE_NOT_FOUND);
        RequestException missing = refusal(engine.subscriptions().delete("q", "ghost", "alice"));
        assertThat(missing.code()).isEqualTo(ErrorCode.SUBSCRIPTION_NOT_FOUND);
        assertThat(missing.getMessage()).isEqualTo("queue 'q' has no subscription 'ghost'");
        assertThat(refusal(engine.subscriptions().seek("q", "ghost", SubscriptionAdmin.SeekKind.OFFSET, 0, "alice"))
                .code()).isEqualTo(ErrorCode.SUBSCRIPTION_NOT_FOUND);
    }

    @Test
    void shouldRefuseAnOwnersDeleteOrSeekOnceTheNameWasCreatedAgainByAnotherPrincipal() throws Exception {
        // alice's request was allowed as the owner of 's'; before it is made, 's' is deleted and bob creates it again
        engine.detach(subscribe("q", "s", new FrameSink(), "alice"));
        get(engine.subscriptions().delete("q", "s", "alice", "alice"));
        engine.detach(subscribe("q", "s", new FrameSink(), "bob"));

        RequestException deleted = refusal(engine.subscriptions().delete("q", "s", "alice", "alice"));
        assertThat(deleted.code()).isEqualTo(ErrorCode.NOT_AUTHORIZED);
        assertThat(deleted.getMessage()).contains("created again by another principal");
        assertThat(refusal(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 0, "alice",
                "alice")).code()).isEqualTo(ErrorCode.NOT_AUTHORIZED);
        assertThat(engine.hasSubscription("q", "s")).as("bob's subscription stays").isTrue();

        // bob, its owner now, and an operator (no owner required) may
        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 0, "bob", "bob")))
                .isZero();
        get(engine.subscriptions().delete("q", "s", "ops", null));
        assertThat(engine.hasSubscription("q", "s")).isFalse();
    }

    // ---- list

    @Test
    void shouldListLagInFlightCursorAndExpiry() throws Exception {
        publish("q", 5);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("q", "s", sink, "alice");
        awaitDelivered(sink, 5);
        acked(c, 0, 1, 3);

        SubscriptionAdmin.Status s = status("q", "s");
        assertThat(s.consumers()).isEqualTo(1);
        assertThat(s.pending()).as("2 and 4 not acknowledged").isEqualTo(2);
        assertThat(s.inFlight()).isEqualTo(2);
        assertThat(s.cursor()).isEqualTo(2);
        assertThat(s.lastActiveMillis()).isEqualTo(T0.toEpochMilli());
        assertThat(s.expiresAtMillis()).as("never while attached").isZero();

        engine.detach(c);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").consumers() == 0);
        assertThat(status("q", "s").expiresAtMillis()).isEqualTo(T0.plus(Duration.ofHours(1)).toEpochMilli());
    }

    // ---- delete

    @Test
    void shouldCancelConsumersAndReleaseWhatOnlyTheDeletedSubscriptionHeld() throws Exception {
        publish("q", 10);
        FrameSink keeper = new FrameSink();
        Consumer k = subscribe("q", "keeper", keeper, "alice");
        FrameSink abandoned = new FrameSink();
        subscribe("q", "abandoned", abandoned, "alice");
        awaitDelivered(keeper, 10);
        acked(k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        BrokerQueue q = engine.queueOrNull("q");
        Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> q.log().startOffset() == 0);

        get(engine.subscriptions().delete("q", "abandoned", "alice"));

        assertThat(abandoned.cancelled).containsExactly("SUBSCRIPTION_NOT_FOUND: subscription deleted");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> q.log().startOffset() == 10);
        assertThat(get(engine.subscriptions().list("q"))).extracting(SubscriptionAdmin.Status::name)
                .containsExactly("keeper");
        assertThat(events).anyMatch(e -> e.startsWith("subscription.deleted alice q/abandoned"));
        assertThat(refusal(engine.subscriptions().delete("q", "abandoned", "alice")).code())
                .isEqualTo(ErrorCode.SUBSCRIPTION_NOT_FOUND);
    }

    @Test
    void shouldGiveTheOwnersQuotaSlotBackWhenItsSubscriptionIsDeleted() throws Exception {
        engine.detach(subscribe("q", "b1", new FrameSink(), "bob"));
        engine.detach(subscribe("q", "b2", new FrameSink(), "bob"));
        assertThat(refusal(engine.subscribe("q", "b3", 10, 1, new FrameSink(), c -> { }, "bob")).code())
                .isEqualTo(ErrorCode.QUOTA_EXCEEDED);

        get(engine.subscriptions().delete("q", "b1", "bob"));

        assertThat(engine.held("bob")[1]).isEqualTo(1);
        subscribe("q", "b3", new FrameSink(), "bob");
    }

    // ---- purge

    @Test
    void shouldNotRedeliverPurgedMessagesInFlightAndAcceptTheirAck() throws Exception {
        publish("q", 4);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("q", "s", sink, "alice");
        awaitDelivered(sink, 4);

        assertThat(get(engine.subscriptions().purge("q", "alice"))).isEqualTo(4);

        assertThat(status("q", "s").pending()).isZero();
        assertThat(status("q", "s").inFlight()).isZero();
        acked(c, 2); // a purged offset: accepted, changes nothing
        engine.detach(c);
        FrameSink again = new FrameSink();
        subscribe("q", "s", again, "alice");
        publish("q", 1);
        awaitDelivered(again, 1);
        assertThat(again.offsets()).as("only the message stored after the purge").containsExactly(4L);
        assertThat(events).anyMatch(e -> e.startsWith("queue.purged alice q/") && e.contains("purged=4"));
    }

    @Test
    void shouldDropEverythingFromAQueueWithoutSubscriptions() throws Exception {
        publish("plain", 3);
        assertThat(get(engine.subscriptions().purge("plain", "alice"))).isEqualTo(3);
        assertThat(engine.queueOrNull("plain").log().startOffset()).isEqualTo(3);
        assertThat(get(engine.subscriptions().browse("plain", 0, 10, 1 << 20, 1 << 20)).messages()).isEmpty();
    }

    // ---- browse

    @Test
    void shouldBrowseWithoutChangingDeliveryState() throws Exception {
        publish("q", 5);
        FrameSink first = new FrameSink();
        Consumer c = subscribe("q", "s", first, "alice");
        awaitDelivered(first, 5);
        engine.detach(c);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").consumers() == 0);
        SubscriptionAdmin.Status before = status("q", "s");
        List<Long> firstCounts = first.frames.stream().map(DeliverFrame::deliveryCount).toList();
        assertThat(firstCounts).containsExactly(1L, 1L, 1L, 1L, 1L);

        SubscriptionAdmin.BrowseResult page = get(engine.subscriptions().browse("q", 0, 3, 1 << 20, 1 << 20));
        assertThat(page.messages()).extracting(SubscriptionAdmin.Browsed::offset).containsExactly(0L, 1L, 2L);
        assertThat(page.nextOffset()).isEqualTo(3);
        assertThat(page.messages().get(1).message().payload()).isEqualTo(Bytes.utf8("m1"));
        SubscriptionAdmin.BrowseResult rest = get(engine.subscriptions().browse("q", page.nextOffset(), 1000, 1, 1 << 20));
        assertThat(rest.messages()).as("at least one, even past maxBytes").hasSize(1);

        assertThat(status("q", "s")).isEqualTo(before);
        FrameSink sink = new FrameSink();
        subscribe("q", "s", sink, "alice");
        awaitDelivered(sink, 5);
        // delivered once before the detach, so this delivery counts exactly 2: browsing added nothing
        assertThat(sink.offsets()).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(sink.frames.stream().map(DeliverFrame::deliveryCount).toList())
                .containsExactly(2L, 2L, 2L, 2L, 2L);
        assertThat(refusal(engine.subscriptions().browse("q", 0, 1001, 1, 1 << 20)).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    // ---- bounds of the answers

    @Test
    void shouldFillABrowseByEncodedSizeWithinTheFrameRoom() throws Exception {
        // 1000-byte payloads, each message more in BROWSE_RESULT (its principal, seal, prefixes)
        for (int i = 0; i < 10; i++) {
            engine.publish("plain", "alice", List.of(PublishMessage.of(Bytes.copyOf(new byte[1000]))))
                    .get(10, TimeUnit.SECONDS);
        }
        long room = 4096 - org.securebroker.protocol.codec.WireSizes.BROWSE_RESULT_OVERHEAD;
        assertThat(4 * 1000L).as("four payloads alone would fit").isLessThanOrEqualTo(room);

        SubscriptionAdmin.BrowseResult page = get(engine.subscriptions().browse("plain", 0, 1000, 1L << 32, room));

        long size = page.messages().stream().mapToLong(b -> encodedSize(b.message())).sum();
        assertThat(size).isLessThanOrEqualTo(room);
        assertThat(page.messages()).hasSizeLessThan(4).isNotEmpty();
        MessageEnvelope next = get(engine.subscriptions().browse("plain", page.nextOffset(), 1, 1, room)).messages()
                .get(0).message();
        assertThat(size + encodedSize(next)).as("filled: the next one does not fit").isGreaterThan(room);
    }

    private static long encodedSize(MessageEnvelope m) {
        return org.securebroker.protocol.codec.WireSizes.browsedMessageSize(m.producerPrincipal(), m.producerId(),
                m.headers(), m.payload().length(), m.producerSignature().length(), m.brokerSeal().length());
    }

    @Test
    void shouldRefuseABrowseWhoseFirstMessageAloneExceedsTheFrameNamingItsSize() throws Exception {
        engine.publish("plain", "alice", List.of(PublishMessage.of(Bytes.copyOf(new byte[5000]))))
                .get(10, TimeUnit.SECONDS);
        publish("plain", 1);

        RequestException tooLarge = refusal(engine.subscriptions().browse("plain", 0, 10, 1, 4000));

        assertThat(tooLarge.code()).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE);
        assertThat(tooLarge.getMessage()).contains("the message at offset 0 of queue 'plain' takes")
                .contains("more than the 4000 bytes").contains("browse from offset 1 to skip it");
        assertThat(get(engine.subscriptions().browse("plain", 1, 10, 1, 4000)).messages())
                .extracting(SubscriptionAdmin.Browsed::offset).containsExactly(1L);
    }

    @Test
    void shouldListInPagesThatFitTheRoomAndContinueAfterTheLastName() throws Exception {
        List<String> names = new ArrayList<>();
        // 244 bytes an entry: 16 fit a 4 KiB frame, 20 do not
        for (int i = 0; i < 20; i++) {
            String name = (char) ('a' + (19 - i)) + "x".repeat(199);
            names.add(name);
            engine.detach(subscribe("plain", name, new FrameSink(), "alice"));
        }
        java.util.Collections.sort(names);
        long room = 4096 - org.securebroker.protocol.codec.WireSizes.SUBSCRIPTION_LIST_OVERHEAD;
        int perEntry = org.securebroker.protocol.codec.WireSizes.subscriptionInfoSize(names.get(0));

        List<String> seen = new ArrayList<>();
        String after = "";
        int pages = 0;
        boolean more = true;
        while (more) {
            SubscriptionAdmin.Page page = get(engine.subscriptions().list("plain", after, room));
            assertThat(page.subscriptions()).isNotEmpty();
            assertThat((long) page.subscriptions().size() * perEntry).isLessThanOrEqualTo(room);
            page.subscriptions().forEach(s -> seen.add(s.name()));
            after = seen.get(seen.size() - 1);
            more = page.more();
            pages++;
        }

        assertThat(seen).containsExactlyElementsOf(names);
        long perPage = room / perEntry;
        assertThat(pages).as(perPage + " a page").isEqualTo((int) ((20 + perPage - 1) / perPage)).isGreaterThan(1);
        assertThat(get(engine.subscriptions().list("plain", names.get(19), room)).subscriptions()).isEmpty();
    }

    // ---- seek

    @Test
    void shouldReplayExactlyFromTheOffsetSoughtAndCountTheRestAcknowledged() throws Exception {
        // replay retention keeps the acknowledged records (the clock stands still: none outlives it)
        engine.subscriptions().settings(Duration.ofHours(1), Duration.ofHours(1));
        publish("q", 6);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("q", "s", sink, "alice");
        awaitDelivered(sink, 6);
        acked(c, 0, 1, 2, 3, 4, 5);
        engine.detach(c);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").consumers() == 0);
        assertThat(status("q", "s").pending()).isZero();
        assertThat(engine.queueOrNull("q").log().startOffset()).as("kept for replay").isZero();

        RequestException outside = refusal(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET,
                7, "alice"));
        assertThat(outside.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(outside.getMessage()).contains("from 0 (the oldest retained) to 6 (the end)");
        assertThat(refusal(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, -1, "alice"))
                .code()).isEqualTo(ErrorCode.INVALID_REQUEST);

        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 3, "alice")))
                .isEqualTo(3);

        SubscriptionAdmin.Status moved = status("q", "s");
        assertThat(moved.cursor()).isEqualTo(3);
        assertThat(moved.pending()).as("3, 4 and 5 again; 0 to 2 count as acknowledged").isEqualTo(3);
        FrameSink replay = new FrameSink();
        Consumer r = subscribe("q", "s", replay, "alice");
        awaitDelivered(replay, 3);
        // delivered in offset order: a replay of 0 to 2 would come first
        assertThat(replay.offsets()).containsExactly(3L, 4L, 5L);
        acked(r, 3, 4, 5);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").pending() == 0);
        assertThat(replay.offsets()).as("nothing else replayed").containsExactly(3L, 4L, 5L);
    }

    @Test
    void shouldSeekBackByOffsetAndByTimeWhileAnotherSubscriptionHoldsTheRecords() throws Exception {
        engine.detach(subscribe("q", "holder", new FrameSink(), "alice")); // keeps every record retained
        for (int i = 0; i < 6; i++) {
            publish("q", 1);
            clock.advance(Duration.ofSeconds(10));
        }
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("q", "s", sink, "alice");
        awaitDelivered(sink, 6);
        acked(c, 0, 1, 2, 3, 4, 5);
        assertThat(refusal(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 2, "alice"))
                .getMessage()).contains("has consumers attached; detach them");
        engine.detach(c);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").consumers() == 0);

        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.OFFSET, 2, "alice")))
                .isEqualTo(2);
        assertThat(status("q", "s").cursor()).isEqualTo(2);
        FrameSink replay = new FrameSink();
        Consumer r = subscribe("q", "s", replay, "alice");
        awaitDelivered(replay, 4);
        assertThat(replay.offsets()).containsExactly(2L, 3L, 4L, 5L);
        acked(r, 2, 3, 4, 5);
        engine.detach(r);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").consumers() == 0);

        // message i was stored at T0 + 10 s * i: 25 s picks offset 3; a time after the last, the end
        long time = T0.plusSeconds(25).toEpochMilli();
        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.TIME, time, "alice")))
                .isEqualTo(3);
        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.TIME,
                T0.plusSeconds(10).toEpochMilli(), "alice"))).isEqualTo(1);
        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.TIME, 0, "alice"))).isZero();
        assertThat(get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.TIME,
                T0.plusSeconds(3600).toEpochMilli(), "alice"))).isEqualTo(6);
        get(engine.subscriptions().seek("q", "s", SubscriptionAdmin.SeekKind.TIME, time, "alice"));
        FrameSink byTime = new FrameSink();
        subscribe("q", "s", byTime, "alice");
        awaitDelivered(byTime, 3);
        assertThat(byTime.offsets()).containsExactly(3L, 4L, 5L);
        assertThat(events).anyMatch(e -> e.startsWith("subscription.seek alice q/s") && e.contains("to=3"));
    }

    // ---- reject

    @Test
    void shouldRefuseARejectWithoutADeadLetterQueueAndDropNothing() throws Exception {
        publish("plain", 1);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("plain", "s", sink, "alice");
        awaitDelivered(sink, 1);

        RequestException refused = refusal(engine.subscriptions().reject(c, 0, "bad", "alice"));

        assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(refused.getMessage()).contains("has no dead-letter queue").contains("nothing was dropped");
        assertThat(status("plain", "s").inFlight()).isEqualTo(1);
        acked(c, 0);
        assertThat(refusal(engine.subscriptions().reject(c, 5, "bad", "alice")).getMessage())
                .contains("is not a delivery of subscription 's'");
    }

    @Test
    void shouldMoveARejectedDeliveryToTheDeadLetterQueueWithWhyAndWho() throws Exception {
        publish("q", 2);
        FrameSink sink = new FrameSink();
        Consumer c = subscribe("q", "s", sink, "alice");
        awaitDelivered(sink, 2);

        get(engine.subscriptions().reject(c, 1, "cannot parse", "alice"));

        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> !get(engine.subscriptions().browse("q.dlq", 0, 10, 1 << 20, 1 << 20)).messages().isEmpty());
        MessageEnvelope letter = get(engine.subscriptions().browse("q.dlq", 0, 10, 1 << 20, 1 << 20)).messages().get(0)
                .message();
        assertThat(letter.payload()).isEqualTo(Bytes.utf8("m1"));
        assertThat(letter.headers().getUtf8("x-rejected-reason")).contains("cannot parse");
        assertThat(letter.headers().getUtf8("x-rejected-by")).contains("alice");
        assertThat(letter.headers().getUtf8("x-dead-letter-reason")).contains("rejected");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> status("q", "s").pending() == 1);
        acked(c, 0);
        engine.detach(c);
        FrameSink again = new FrameSink();
        subscribe("q", "s", again, "alice");
        Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(again.offsets()).as("the rejected message is not delivered again").isEmpty();
        assertThat(events).anyMatch(e -> e.startsWith("message.rejected alice q/s") && e.contains("reason=cannot parse"));
    }

    // ---- idle expiry

    @Test
    void shouldExpireASubscriptionIdlePastTheConfiguredTime() throws Exception {
        publish("q", 3);
        engine.detach(subscribe("q", "idle", new FrameSink(), "bob"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "idle").consumers() == 0);
        clock.advance(Duration.ofMinutes(59));
        Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> get(engine.subscriptions().list("q")).size() == 1);

        clock.advance(Duration.ofMinutes(2));

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> get(engine.subscriptions().list("q")).isEmpty());
        assertThat(events).anyMatch(e -> e.startsWith("subscription.expired  q/idle"));
        assertThat(engine.held("bob")[1]).as("its quota slot is free").isZero();
    }

    @Test
    void shouldNeverExpireASubscriptionWithAConsumerOrWhenExpiryIsOff() throws Exception {
        subscribe("q", "busy", new FrameSink(), "alice");
        engine.detach(subscribe("q", "kept", new FrameSink(), "alice"));
        // the detach is over (and its activity taken, at T0) before time moves
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "kept").consumers() == 0);
        engine.subscriptions().settings(Duration.ZERO, Duration.ZERO);
        clock.advance(Duration.ofHours(2));
        Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> get(engine.subscriptions().list("q")).size() == 2);
        assertThat(status("q", "kept").expiresAtMillis()).as("0 = never").isZero();

        engine.subscriptions().settings(Duration.ofHours(1), Duration.ZERO);

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> get(engine.subscriptions().list("q")).size() == 1);
        assertThat(get(engine.subscriptions().list("q"))).extracting(SubscriptionAdmin.Status::name)
                .containsExactly("busy");
    }

    @Test
    void shouldKeepTheExpiryTimeAcrossARestart() throws Exception {
        engine.detach(subscribe("q", "idle", new FrameSink(), "alice"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "idle").consumers() == 0);
        long detachedAt = clock.millis();
        // the detach's time reaches the catalog on the admin thread
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> QueueCatalog.read(dir.resolve("queues.json"),
                kek -> store.metadataMac(QueueCatalog.PURPOSE, kek))
                .owners().getOrDefault("q", QueueCatalog.Owners.NONE).lastActive().containsKey("idle"));
        engine.close();
        clock.advance(Duration.ofMinutes(40));

        engine = start(Duration.ofHours(1));
        long startedAt = clock.millis();

        SubscriptionAdmin.Status s = status("q", "idle");
        assertThat(s.lastActiveMillis()).as("the time before the restart, not the start").isEqualTo(detachedAt);
        assertThat(s.expiresAtMillis()).as("idle time counts from the start, not while the broker was stopped")
                .isEqualTo(startedAt + Duration.ofHours(1).toMillis());
        clock.advance(Duration.ofMinutes(21));
        Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> get(engine.subscriptions().list("q")).size() == 1);
        clock.advance(Duration.ofMinutes(40));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> get(engine.subscriptions().list("q")).isEmpty());
    }

    @Test
    void shouldNotExpireAnythingAtTheFirstTickAfterALongStop() throws Exception {
        engine.detach(subscribe("q", "idle", new FrameSink(), "alice"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "idle").consumers() == 0);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> QueueCatalog.read(dir.resolve("queues.json"),
                kek -> store.metadataMac(QueueCatalog.PURPOSE, kek))
                .owners().getOrDefault("q", QueueCatalog.Owners.NONE).lastActive().containsKey("idle"));
        engine.close();
        clock.advance(Duration.ofDays(8));

        engine = start(Duration.ofDays(7));

        // ticks run every second from the start: none may take the subscription before its consumers are back
        Awaitility.await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(6))
                .until(() -> get(engine.subscriptions().list("q")).size() == 1);
        assertThat(status("q", "idle").expiresAtMillis()).isEqualTo(clock.millis() + Duration.ofDays(7).toMillis());
        assertThat(events).noneMatch(e -> e.startsWith("subscription.expired"));
    }

    // ---- activity in the catalog

    private QueueCatalog.Contents catalog() throws Exception {
        return QueueCatalog.read(dir.resolve("queues.json"), kek -> store.metadataMac(QueueCatalog.PURPOSE, kek));
    }

    private Map<String, Long> recordedActivity(String queue) throws Exception {
        return catalog().owners().getOrDefault(queue, QueueCatalog.Owners.NONE).lastActive();
    }

    @Test
    void shouldWriteActivityInBatchesNotOnEveryAttachAndDetach() throws Exception {
        engine.detach(subscribe("q", "s", new FrameSink(), "alice"));
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> recordedActivity("q").containsKey("s"));
        long before = catalog().generation();

        for (int i = 0; i < 30; i++) {
            clock.advance(Duration.ofSeconds(1));
            engine.detach(subscribe("q", "s", new FrameSink(), "alice"));
        }
        long lastDetach = clock.millis();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "s").consumers() == 0);

        // the detach that begins idleness reaches the catalog within a flush
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> Long.valueOf(lastDetach).equals(recordedActivity("q").get("s")));
        assertThat(catalog().generation() - before).as("catalog writes for 60 attaches and detaches")
                .isLessThanOrEqualTo(3);
    }

    @Test
    void shouldNeverWriteBackTheActivityOfADeletedSubscription() throws Exception {
        engine.detach(subscribe("q", "gone", new FrameSink(), "alice"));
        engine.detach(subscribe("q", "kept", new FrameSink(), "alice"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("q", "kept").consumers() == 0);
        get(engine.subscriptions().delete("q", "gone", "alice"));

        // a late acknowledgement or refresh of the deleted one, then activity that must be written
        clock.advance(Duration.ofMinutes(1));
        engine.subscriptions().active("q", "gone", true);
        engine.subscriptions().idle("q", "kept");
        long keptAt = clock.millis();

        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> Long.valueOf(keptAt).equals(recordedActivity("q").get("kept")));
        assertThat(recordedActivity("q")).doesNotContainKey("gone");
    }

    @Test
    void shouldForgetTheActivityOfADeletedQueueAndOfQueuesThatDoNotExist() throws Exception {
        engine.detach(subscribe("plain", "s", new FrameSink(), "alice"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status("plain", "s").consumers() == 0);
        assertThat(engine.subscriptions().queuesWithActivity()).contains("plain");

        get(engine.deleteQueue("plain"));
        engine.subscriptions().active("nowhere", "s", true);

        assertThat(engine.subscriptions().queuesWithActivity()).doesNotContain("plain", "nowhere");
    }
}
