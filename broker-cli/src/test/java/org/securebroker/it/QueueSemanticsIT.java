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
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.server.config.BrokerConfig;

/** Queue semantics over real TLS connections, frame by frame. */
class QueueSemanticsIT {

    @TempDir
    Path dir;

    private TestBroker broker;
    private final List<RawConnection> connections = new ArrayList<>();
    private int correlation = 100;

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> c.withQueues(new BrokerConfig.Queues(false,
                Duration.ofSeconds(1), c.queues().maxMessageBytes(), c.queues().dedupWindow(), List.of())));
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

    /** The deliveries that arrive within the wait, until a PING sent at the end comes back. */
    private List<DeliverFrame> drain(RawConnection c, long waitMillis) throws Exception {
        Thread.sleep(waitMillis);
        c.send(new PingFrame(correlation++, 1));
        List<DeliverFrame> out = new ArrayList<>();
        while (true) {
            Object o = c.next();
            if (o instanceof PongFrame) {
                return out;
            }
            if (o instanceof DeliverFrame d) {
                out.add(d);
            } else {
                throw new AssertionError("unexpected " + o);
            }
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
        List<DeliverFrame> toA = drain(a, 500);
        List<DeliverFrame> toB = drain(b, 0);
        List<DeliverFrame> toOther = drain(other, 0);
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
        assertThat(drain(c, 300)).hasSize(2);
        c.send(new CreditFrame(correlation++, consumer, 1));
        assertThat(drain(c, 300)).hasSize(1);
    }

    @Test
    void shouldRedeliverAfterNackWithDelayAndCountDeliveries() throws Exception {
        RawConnection c = connect();
        createQueue(c, "q", 0, "", 0);
        publish(c, "q", text("retry-me"));
        int consumer = subscribe(c, "q", "s", 10);
        DeliverFrame first = drain(c, 200).get(0);
        assertThat(first.deliveryCount()).isEqualTo(1);
        long nacked = System.nanoTime();
        c.send(new NackFrame(correlation++, consumer, first.offset(), 400));
        DeliverFrame again = c.expect(DeliverFrame.class);
        assertThat((System.nanoTime() - nacked) / 1_000_000).isGreaterThanOrEqualTo(350);
        assertThat(again.offset()).isEqualTo(first.offset());
        assertThat(again.deliveryCount()).isEqualTo(2);
        c.send(new AckFrame(correlation++, consumer, new long[] {again.offset()}));
        assertThat(drain(c, 1500)).as("acked messages do not come back").isEmpty();
    }

    @Test
    void shouldRedeliverWhenAConsumerDisconnectsOrMissesTheAckTimeout() throws Exception {
        RawConnection producer = connect();
        createQueue(producer, "q", 0, "", 0);
        publish(producer, "q", text("m"));
        RawConnection first = connect();
        subscribe(first, "q", "s", 10);
        assertThat(drain(first, 200)).hasSize(1);
        first.close();
        RawConnection second = connect();
        int consumer = subscribe(second, "q", "s", 10);
        DeliverFrame redelivered = second.expect(DeliverFrame.class);
        assertThat(redelivered.deliveryCount()).isEqualTo(2);
        // no ack: after the 1 s ack timeout it comes again
        DeliverFrame afterTimeout = second.expect(DeliverFrame.class);
        assertThat(afterTimeout.deliveryCount()).isEqualTo(3);
        second.send(new AckFrame(correlation++, consumer, new long[] {afterTimeout.offset()}));
        assertThat(drain(second, 1500)).isEmpty();
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
        assertThat(drain(c, 300)).isEmpty();
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
        Thread.sleep(400);
        int consumer = subscribe(c, "short", "s", 10);
        List<DeliverFrame> delivered = drain(c, 300);
        assertThat(delivered).extracting(QueueSemanticsIT::payload).containsExactly("fresh");
        c.send(new AckFrame(correlation++, consumer, new long[] {delivered.get(0).offset()}));
        subscribe(c, "kept", "s", 10);
        assertThat(drain(c, 300)).isEmpty();
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
        assertThat(drain(c, 300)).hasSize(1);
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
        List<DeliverFrame> got = drain(c, 300);
        assertThat(got).hasSize(6);
        c.send(new AckFrame(correlation++, consumer, new long[] {got.get(0).offset(), got.get(1).offset(), got.get(4).offset()}));
        drain(c, 200);
        broker.restart();
        RawConnection after = connect();
        subscribe(after, "q", "s", 100);
        assertThat(drain(after, 500)).extracting(QueueSemanticsIT::payload).containsExactly("m2", "m3", "m5");
    }

    @Test
    void shouldRefuseAnAckForAnOffsetNeverDelivered() throws Exception {
        RawConnection c = connect();
        createQueue(c, "q", 0, "", 0);
        publish(c, "q", text("a"), text("b"));
        int consumer = subscribe(c, "q", "s", 1);
        drain(c, 200);
        c.send(new AckFrame(55, consumer, new long[] {1}));
        Frame reply = (Frame) c.next();
        assertThat(reply).isInstanceOf(ErrorFrame.class);
        assertThat(((ErrorFrame) reply).correlationId()).isEqualTo(55);
        assertThat(((ErrorFrame) reply).code()).isEqualTo(ErrorCode.INVALID_REQUEST.code());
    }
}
