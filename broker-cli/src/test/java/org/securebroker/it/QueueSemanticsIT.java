package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.NackFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.testing.MutableClock;

/**
 * Queue semantics over real TLS connections, frame by frame. The broker runs on a test clock:
 * ack timeouts, NACK delays and TTLs pass when the test advances it, and what has (not) been
 * delivered is read up to a barrier instead of after a pause.
 */
class QueueSemanticsIT {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.atSystemTime();
    private TestBroker broker;
    private final List<RawConnection> connections = new ArrayList<>();
    private int correlation = 100;

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> c.withQueues(new BrokerConfig.Queues(false,
                ACK_TIMEOUT, c.queues().maxMessageBytes(), c.queues().dedupWindow(), List.of())), clock);
    }

    @AfterEach
    void stop() {
        connections.forEach(RawConnection::close);
        broker.close();
    }

    private RawConnection connect() throws Exception {
        RawConnection c = broker.admin();
        connections.add(c);
        return c;
    }

    private void createQueue(RawConnection c, String name, int maxDeliveries, String dlq, long ttl) throws Exception {
        c.send(new CreateQueueFrame(correlation++, name, maxDeliveries, dlq, ttl));
        c.expect(OkFrame.class);
    }

    private List<Long> publish(RawConnection c, String queue, PublishMessage... messages) throws Exception {
        c.send(new PublishFrame(correlation++, queue, List.of(messages)));
        List<Long> offsets = new ArrayList<>();
        c.expect(PublishOkFrame.class).results().forEach(r -> offsets.add(r.offset()));
        return offsets;
    }

    private static PublishMessage text(String s) {
        return PublishMessage.of(Bytes.utf8(s));
    }

    private int subscribe(RawConnection c, String queue, String subscription, long credit) throws Exception {
        c.send(new SubscribeFrame(correlation++, queue, subscription, credit));
        return c.expect(SubscribeOkFrame.class).consumerId();
    }

    /**
     * Every delivery the queue has made to this connection so far. SUBSCRIBE_OK is written by
     * the queue's own thread, and reaches the connection behind every delivery that thread handed
     * it before; so what arrives ahead of it is all that the requests answered so far
     * (publishes, subscribes, credit, acks, NACKs) led to, with no pause to guess at. The barrier
     * consumer is on a subscription of its own and has no credit: it takes no message and starts
     * no dispatch on the subscriptions under test. (An ERROR or a PONG would not do: they can be
     * written on the connection's own thread and overtake deliveries still on their way.)
     */
    private List<DeliverFrame> deliveredSoFar(RawConnection c, String queue) throws Exception {
        int barrier = correlation++;
        c.send(new SubscribeFrame(barrier, queue, "barrier", 0));
        List<DeliverFrame> out = new ArrayList<>();
        while (true) {
            Object o = c.next();
            if (o instanceof DeliverFrame d) {
                out.add(d);
            } else if (o instanceof SubscribeOkFrame ok && ok.correlationId() == barrier) {
                return out;
            } else {
                throw new AssertionError("unexpected " + o);
            }
        }
    }

    /**
     * Lets the ack timeout pass on the broker's clock and returns what came back to this
     * consumer meanwhile. The queue looks for missed ack deadlines about once a second, by its
     * clock; a probe message, delivered here and left unacknowledged, shows that it has looked
     * since the clock moved: any other delivery past its deadline is taken back in the same pass
     * and redelivered ahead of the probe or with it.
     */
    private List<DeliverFrame> redeliveredAfterTheAckTimeout(RawConnection c, String queue, int consumer) throws Exception {
        // the queue has taken what was sent on this connection (the acks) before the clock moves
        List<DeliverFrame> others = new ArrayList<>(deliveredSoFar(c, queue));
        long probe = publish(connect(), queue, text("probe")).get(0);
        awaitDelivery(c, probe, 1, others);
        clock.advance(ACK_TIMEOUT);
        awaitDelivery(c, probe, 2, others);
        c.send(new AckFrame(correlation++, consumer, new long[] {probe}));
        others.addAll(deliveredSoFar(c, queue));
        return others;
    }

    /** Reads deliveries until the {@code count}th of {@code offset}, collecting the others. */
    private static void awaitDelivery(RawConnection c, long offset, int count, List<DeliverFrame> others)
            throws Exception {
        while (true) {
            DeliverFrame d = c.expect(DeliverFrame.class);
            if (d.offset() == offset && d.deliveryCount() == count) {
                return;
            }
            others.add(d);
        }
    }

    private static String payload(DeliverFrame d) {
        return new String(d.payload().toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void shouldShareMessagesBetweenCompetingConsumersAndCopyThemToEverySubscription() throws Exception {
        RawConnection producer = connect();
        createQueue(producer, "work", 0, "", 0);
        RawConnection a = connect();
        RawConnection b = connect();
        RawConnection other = connect();
        subscribe(a, "work", "workers", 100);
        subscribe(b, "work", "workers", 100);
        subscribe(other, "work", "audit", 100);
        for (int i = 0; i < 20; i++) {
            publish(producer, "work", text("job-" + i));
        }
        List<DeliverFrame> toA = deliveredSoFar(a, "work");
        List<DeliverFrame> toB = deliveredSoFar(b, "work");
        List<DeliverFrame> toOther = deliveredSoFar(other, "work");
        Set<String> shared = new HashSet<>();
        toA.forEach(d -> shared.add(payload(d)));
        toB.forEach(d -> shared.add(payload(d)));
        assertThat(toA.size() + toB.size()).isEqualTo(20);
        assertThat(shared).hasSize(20);
        assertThat(toA).isNotEmpty();
        assertThat(toB).isNotEmpty();
        assertThat(toOther).extracting(QueueSemanticsIT::payload).hasSize(20).contains("job-0", "job-19");
    }

    @Test
    void shouldNeverDeliverBeyondTheGrantedCredit() throws Exception {
        RawConnection c = connect();
        createQueue(c, "q", 0, "", 0);
        for (int i = 0; i < 5; i++) {
            publish(c, "q", text("m" + i));
        }
        int consumer = subscribe(c, "q", "s", 2);
        assertThat(deliveredSoFar(c, "q")).hasSize(2);
        c.send(new CreditFrame(correlation++, consumer, 1));
        assertThat(deliveredSoFar(c, "q")).hasSize(1);
    }

    @Test
    void shouldRedeliverAfterNackWithDelayAndCountDeliveries() throws Exception {
        RawConnection c = connect();
        createQueue(c, "q", 0, "", 0);
        publish(c, "q", text("retry-me"));
        int consumer = subscribe(c, "q", "s", 10);
        DeliverFrame first = c.expect(DeliverFrame.class);
        assertThat(first.deliveryCount()).isEqualTo(1);
        c.send(new NackFrame(correlation++, consumer, first.offset(), 400));
        // the queue has taken the NACK (and its delay counts from the clock's time now) before the clock moves
        assertThat(deliveredSoFar(c, "q")).as("redelivered at once").isEmpty();
        // the delay runs on the broker's clock: 1 ms short of it, a dispatch (for fresh credit) does not redeliver
        clock.advance(Duration.ofMillis(399));
        c.send(new CreditFrame(correlation++, consumer, 1));
        assertThat(deliveredSoFar(c, "q")).as("redelivered before the NACK's delay").isEmpty();
        // once it has passed, the message comes back by itself
        clock.advance(Duration.ofMillis(1));
        DeliverFrame again = c.expect(DeliverFrame.class);
        assertThat(again.offset()).isEqualTo(first.offset());
        assertThat(again.deliveryCount()).isEqualTo(2);
        c.send(new AckFrame(correlation++, consumer, new long[] {again.offset()}));
        assertThat(redeliveredAfterTheAckTimeout(c, "q", consumer)).as("acked messages do not come back").isEmpty();
    }

    @Test
    void shouldRedeliverWhenAConsumerDisconnectsOrMissesTheAckTimeout() throws Exception {
        RawConnection producer = connect();
        createQueue(producer, "q", 0, "", 0);
        publish(producer, "q", text("m"));
        RawConnection first = connect();
        subscribe(first, "q", "s", 10);
        assertThat(deliveredSoFar(first, "q")).hasSize(1);
        first.close();
        RawConnection second = connect();
        int consumer = subscribe(second, "q", "s", 10);
        DeliverFrame redelivered = second.expect(DeliverFrame.class);
        assertThat(redelivered.deliveryCount()).isEqualTo(2);
        // no ack: once the ack timeout has passed on the broker's clock it comes again
        clock.advance(ACK_TIMEOUT);
        DeliverFrame afterTimeout = second.expect(DeliverFrame.class);
        assertThat(afterTimeout.deliveryCount()).isEqualTo(3);
        second.send(new AckFrame(correlation++, consumer, new long[] {afterTimeout.offset()}));
        assertThat(redeliveredAfterTheAckTimeout(second, "q", consumer)).isEmpty();
    }

    @Test
    void shouldDeadLetterAfterTheConfiguredDeliveries() throws Exception {
        RawConnection c = connect();
        createQueue(c, "orders", 2, "orders.dlq", 0);
        publish(c, "orders", text("poison"));
        int consumer = subscribe(c, "orders", "s", 10);
        for (int attempt = 1; attempt <= 2; attempt++) {
            DeliverFrame d = c.expect(DeliverFrame.class);
            assertThat(d.deliveryCount()).isEqualTo(attempt);
            c.send(new NackFrame(correlation++, consumer, d.offset(), 0));
        }
        assertThat(deliveredSoFar(c, "orders")).isEmpty();
        subscribe(c, "orders.dlq", "ops", 10);
        DeliverFrame dead = c.expect(DeliverFrame.class);
        assertThat(payload(dead)).isEqualTo("poison");
        assertThat(dead.headers().getUtf8("x-dead-letter-reason")).contains("max-deliveries");
        assertThat(dead.headers().getUtf8("x-dead-letter-queue")).contains("orders");
        assertThat(dead.headers().getUtf8("x-dead-letter-deliveries")).contains("2");
    }

    @Test
    void shouldNotDeliverExpiredMessages() throws Exception {
        RawConnection c = connect();
        createQueue(c, "short", 0, "", 0);
        createQueue(c, "kept", 0, "kept.dlq", 0);
        PublishMessage brief = new PublishMessage("", 0, 150, Headers.EMPTY, Bytes.utf8("stale"), Bytes.EMPTY);
        PublishMessage lasting = new PublishMessage("", 0, 60_000, Headers.EMPTY, Bytes.utf8("fresh"), Bytes.EMPTY);
        publish(c, "short", brief, lasting);
        publish(c, "kept", brief);
        clock.advance(Duration.ofMillis(400));
        int consumer = subscribe(c, "short", "s", 10);
        List<DeliverFrame> delivered = deliveredSoFar(c, "short");
        assertThat(delivered).extracting(QueueSemanticsIT::payload).containsExactly("fresh");
        c.send(new AckFrame(correlation++, consumer, new long[] {delivered.get(0).offset()}));
        subscribe(c, "kept", "s", 10);
        assertThat(deliveredSoFar(c, "kept")).isEmpty();
        subscribe(c, "kept.dlq", "s", 10);
        DeliverFrame dead = c.expect(DeliverFrame.class);
        assertThat(dead.headers().getUtf8("x-dead-letter-reason")).contains("expired");
    }

    @Test
    void shouldRecognizeProducerRetries() throws Exception {
        RawConnection c = connect();
        createQueue(c, "q", 0, "", 0);
        PublishMessage m = new PublishMessage("producer-1", 7, 0, Headers.EMPTY, Bytes.utf8("once"), Bytes.EMPTY);
        c.send(new PublishFrame(correlation++, "q", List.of(m)));
        PublishOkFrame first = c.expect(PublishOkFrame.class);
        c.send(new PublishFrame(correlation++, "q", List.of(m, m)));
        PublishOkFrame retry = c.expect(PublishOkFrame.class);
        assertThat(first.results().get(0).duplicate()).isFalse();
        assertThat(retry.results()).allSatisfy(r -> {
            assertThat(r.duplicate()).isTrue();
            assertThat(r.offset()).isEqualTo(first.results().get(0).offset());
        });
        subscribe(c, "q", "s", 10);
        assertThat(deliveredSoFar(c, "q")).hasSize(1);
        broker.restart();
        RawConnection after = connect();
        after.send(new PublishFrame(correlation++, "q", List.of(m)));
        assertThat(after.expect(PublishOkFrame.class).results().get(0).duplicate()).as("remembered across a restart").isTrue();
    }

    @Test
    void shouldRedeliverOnlyUnacknowledgedMessagesAfterARestart() throws Exception {
        RawConnection c = connect();
        createQueue(c, "q", 0, "", 0);
        for (int i = 0; i < 6; i++) {
            publish(c, "q", text("m" + i));
        }
        int consumer = subscribe(c, "q", "s", 100);
        List<DeliverFrame> got = deliveredSoFar(c, "q");
        assertThat(got).hasSize(6);
        c.send(new AckFrame(correlation++, consumer, new long[] {got.get(0).offset(), got.get(1).offset(), got.get(4).offset()}));
        // the queue has taken the acks before the restart (which then makes them durable)
        assertThat(deliveredSoFar(c, "q")).isEmpty();
        broker.restart();
        RawConnection after = connect();
        subscribe(after, "q", "s", 100);
        assertThat(deliveredSoFar(after, "q")).extracting(QueueSemanticsIT::payload).containsExactly("m2", "m3", "m5");
    }

    @Test
    void shouldRefuseAnAckForAnOffsetNeverDelivered() throws Exception {
        RawConnection c = connect();
        createQueue(c, "q", 0, "", 0);
        publish(c, "q", text("a"), text("b"));
        int consumer = subscribe(c, "q", "s", 1);
        assertThat(deliveredSoFar(c, "q")).hasSize(1);
        c.send(new AckFrame(55, consumer, new long[] {1}));
        Frame reply = (Frame) c.next();
        assertThat(reply).isInstanceOf(ErrorFrame.class);
        assertThat(((ErrorFrame) reply).correlationId()).isEqualTo(55);
        assertThat(((ErrorFrame) reply).code()).isEqualTo(ErrorCode.INVALID_REQUEST.code());
    }
}
