package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.NackFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.UnsubscribeFrame;

class ConsumeTest extends ClientTestSupport {

    private final List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();

    private MessageHandler recordingHandler() {
        return m -> {
            threads.add(Thread.currentThread().getName());
            received.add(m);
        };
    }

    private static List<Long> offsets(List<ReceivedMessage> messages) {
        return messages.stream().map(ReceivedMessage::offset).collect(Collectors.toList());
    }

    private List<Long> ackedOffsets() {
        return broker.received(AckFrame.class).stream()
                .flatMapToLong(a -> LongStream.of(a.offsets())).boxed().collect(Collectors.toList());
    }

    @Test
    void shouldRunTheHandlerOnASubscriptionThreadNotTheIoThreadInDeliveryOrder() {
        BrokerClient client = connect();
        client.subscribe("orders", "billing", recordingHandler());
        int consumer = broker.lastConsumerId();

        for (long offset = 0; offset < 50; offset++) {
            broker.deliver(consumer, "orders", offset, "m" + offset);
        }

        eventually(() -> received.size() == 50);
        assertThat(offsets(received)).isEqualTo(LongStream.range(0, 50).boxed().collect(Collectors.toList()));
        assertThat(Set.copyOf(threads)).hasSize(1);
        assertThat(threads.get(0)).contains("-callback-orders/billing").doesNotContain("-io-");
    }

    @Test
    void shouldRunTheHandlerOnTheConfiguredExecutorOneMessageAtATimeInOrder() {
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> new Thread(r, "app-pool"));
        closeLater(pool::shutdownNow);
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        BrokerClient client = connect();
        client.subscribe("orders", "billing", SubscribeOptions.builder().executor(pool).prefetch(500).build(), m -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            threads.add(Thread.currentThread().getName());
            received.add(m);
            concurrent.decrementAndGet();
        });
        int consumer = broker.lastConsumerId();

        for (long offset = 0; offset < 300; offset++) {
            broker.deliver(consumer, "orders", offset, "m");
        }

        eventually(() -> received.size() == 300);
        assertThat(offsets(received)).isSorted().doesNotHaveDuplicates();
        assertThat(maxConcurrent.get()).isEqualTo(1);
        assertThat(threads).allMatch(t -> t.equals("app-pool"));
    }

    @Test
    void shouldExposeTheDeliveredMessage() {
        BrokerClient client = connect();
        client.subscribe("orders", "billing", recordingHandler());
        Headers headers = Headers.builder().add("k", "v").build();

        broker.send(broker.signed(new DeliverFrame(broker.lastConsumerId(), "orders", 42, 3, 1_700_000_000_000L, "bob",
                "p-0123456789abcdef", 7, headers, Bytes.utf8("confidential-body"), Bytes.EMPTY, Bytes.EMPTY)));

        eventually(() -> received.size() == 1);
        ReceivedMessage m = received.get(0);
        assertThat(m.queue()).isEqualTo("orders");
        assertThat(m.subscription()).isEqualTo("billing");
        assertThat(m.offset()).isEqualTo(42);
        assertThat(m.deliveryCount()).isEqualTo(3);
        assertThat(m.brokerTimestamp()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
        assertThat(m.producerPrincipal()).isEqualTo("bob");
        assertThat(m.producerId()).isEqualTo("p-0123456789abcdef");
        assertThat(m.sequence()).isEqualTo(7);
        assertThat(m.headers().getUtf8("k")).contains("v");
        assertThat(m.payloadUtf8()).isEqualTo("confidential-body");
        assertThat(m.payload()).isEqualTo("confidential-body".getBytes(StandardCharsets.UTF_8));
        assertThat(m.payloadBuffer().isReadOnly()).isTrue();
        assertThat(m.toString()).doesNotContain("confidential");
    }

    @Test
    void shouldGrantThePrefetchAsInitialCredit() {
        BrokerClient client = connect();

        client.subscribe("orders", "billing", SubscribeOptions.builder().prefetch(8).build(), recordingHandler());

        SubscribeFrame subscribe = broker.received(SubscribeFrame.class).get(0);
        assertThat(subscribe.queue()).isEqualTo("orders");
        assertThat(subscribe.subscription()).isEqualTo("billing");
        assertThat(subscribe.initialCredit()).isEqualTo(8);
    }

    @Test
    void shouldReturnOneCreditPerSettledMessageOnlyOnceAQuarterOfThePrefetchHasAccumulated() {
        BrokerClient client = connect();
        client.subscribe("orders", "billing", SubscribeOptions.builder().prefetch(8).build(), recordingHandler());
        int consumer = broker.lastConsumerId();
        for (long offset = 0; offset < 8; offset++) {
            broker.deliver(consumer, "orders", offset, "m");
        }
        eventually(() -> received.size() == 8);

        received.get(0).ack();
        eventually(() -> ackedOffsets().contains(0L));
        received.get(1).ack();
        eventually(() -> !broker.received(CreditFrame.class).isEmpty());

        // The first settlement alone (below prefetch / 4 = 2) returned no credit.
        CreditFrame first = broker.received(CreditFrame.class).get(0);
        assertThat(first.consumerId()).isEqualTo(consumer);
        assertThat(first.credit()).isEqualTo(2);

        for (int i = 2; i < 8; i++) {
            received.get(i).ack();
        }
        eventually(() -> broker.received(CreditFrame.class).stream().mapToLong(CreditFrame::credit).sum() == 8);
        assertThat(broker.received(CreditFrame.class)).allSatisfy(c -> assertThat(c.credit()).isGreaterThanOrEqualTo(2));
        assertThat(ackedOffsets()).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(broker.received(AckFrame.class)).allSatisfy(a -> assertThat(a.consumerId()).isEqualTo(consumer));
    }

    @Test
    void shouldIgnoreTheSecondSettlementOfADelivery() {
        BrokerClient client = connect();
        client.subscribe("orders", "billing", SubscribeOptions.builder().prefetch(1).build(), recordingHandler());
        broker.deliver(broker.lastConsumerId(), "orders", 5, "m");
        eventually(() -> received.size() == 1);

        received.get(0).ack();
        received.get(0).ack();
        received.get(0).nack(Duration.ZERO);

        eventually(() -> !broker.received(CreditFrame.class).isEmpty());
        client.listQueues(); // a round trip: anything sent before it has arrived
        assertThat(ackedOffsets()).containsExactly(5L);
        assertThat(broker.received(NackFrame.class)).isEmpty();
        assertThat(broker.received(CreditFrame.class)).extracting(CreditFrame::credit).containsExactly(1L);
    }

    @Test
    void shouldNackWithTheRequestedRedeliveryDelay() {
        BrokerClient client = connect();
        client.subscribe("orders", "billing", recordingHandler());
        broker.deliver(broker.lastConsumerId(), "orders", 9, "m");
        eventually(() -> received.size() == 1);

        received.get(0).nack(Duration.ofSeconds(2));

        eventually(() -> !broker.received(NackFrame.class).isEmpty());
        NackFrame nack = broker.received(NackFrame.class).get(0);
        assertThat(nack.offset()).isEqualTo(9);
        assertThat(nack.delayMillis()).isEqualTo(2000);
        assertThatThrownBy(() -> received.get(0).nack(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldNackWithoutDelayWhenTheHandlerThrows() {
        BrokerClient client = connect();
        client.subscribe("orders", "billing", m -> {
            throw new IllegalStateException("handler bug");
        });
        broker.deliver(broker.lastConsumerId(), "orders", 3, "m");

        eventually(() -> !broker.received(NackFrame.class).isEmpty());
        NackFrame nack = broker.received(NackFrame.class).get(0);
        assertThat(nack.offset()).isEqualTo(3);
        assertThat(nack.delayMillis()).isZero();
    }

    @Test
    void shouldNotNackAMessageTheThrowingHandlerHadAlreadyAcked() {
        BrokerClient client = connect();
        client.subscribe("orders", "billing", m -> {
            m.ack();
            throw new IllegalStateException("after ack");
        });
        broker.deliver(broker.lastConsumerId(), "orders", 3, "m");

        eventually(() -> ackedOffsets().contains(3L));
        client.listQueues();
        assertThat(broker.received(NackFrame.class)).isEmpty();
    }

    @Test
    void shouldUnsubscribeOnCloseStopCallbacksAndIgnoreLaterSettlements() {
        BrokerClient client = connect();
        Subscription first = client.subscribe("orders", "billing", recordingHandler());
        int firstConsumer = broker.lastConsumerId();
        broker.deliver(firstConsumer, "orders", 1, "before close");
        eventually(() -> received.size() == 1);
        List<ReceivedMessage> second = new CopyOnWriteArrayList<>();
        client.subscribe("orders", "audit", second::add);
        int secondConsumer = broker.lastConsumerId();

        first.close();
        first.close();

        assertThat(first.isOpen()).isFalse();
        assertThat(broker.received(UnsubscribeFrame.class)).extracting(UnsubscribeFrame::consumerId)
                .containsExactly(firstConsumer);
        received.get(0).ack();
        broker.deliver(firstConsumer, "orders", 2, "after close");
        broker.deliver(secondConsumer, "orders", 2, "barrier");
        eventually(() -> second.size() == 1);
        client.listQueues();
        assertThat(received).hasSize(1);
        assertThat(broker.received(AckFrame.class)).isEmpty();
    }

    @Test
    void shouldSendSettlementsMadeBeforeCloseAheadOfTheUnsubscribe() {
        BrokerClient client = connect();
        Subscription subscription = client.subscribe("orders", "billing", recordingHandler());
        broker.deliver(broker.lastConsumerId(), "orders", 1, "m");
        eventually(() -> received.size() == 1);

        received.get(0).ack();
        subscription.close();

        assertThat(ackedOffsets()).containsExactly(1L);
    }

    @Test
    void shouldFailSubscribeWithTheBrokersErrorCode() {
        broker.respond(FrameType.SUBSCRIBE, f -> List.of(new ErrorFrame(f.correlationId(),
                ErrorCode.QUEUE_NOT_FOUND, "no queue 'nope'")));
        BrokerClient client = connect();

        assertThatThrownBy(() -> client.subscribe("nope", "billing", recordingHandler()))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.QUEUE_NOT_FOUND);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("no queue 'nope'");
                });
    }
}
