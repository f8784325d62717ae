package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.securebroker.client.fake.FakeBroker;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.SubscribeFrame;

class ReconnectTest extends ClientTestSupport {

    private static List<CompletableFuture<SendReceipt>> sendAll(BrokerClient client, int count) {
        List<CompletableFuture<SendReceipt>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(client.sendAsync("orders", Message.of("m" + i)));
        }
        return futures;
    }

    private List<PublishMessage> publishedOn(int connection) {
        return broker.received(connection, PublishFrame.class).stream()
                .flatMap(f -> f.messages().stream()).collect(Collectors.toList());
    }

    @Test
    void shouldResendUnacknowledgedPublishesInOrderWithTheSameProducerIdAndSequence() {
        broker.holdPublishes();
        BrokerClient client = connect();
        List<CompletableFuture<SendReceipt>> futures = sendAll(client, 5);
        eventually(() -> publishedOn(1).size() == 5);

        broker.stopHolding();
        broker.dropConnections();

        futures.forEach(f -> f.orTimeout(10, TimeUnit.SECONDS).join());
        List<PublishMessage> first = publishedOn(1);
        List<PublishMessage> resent = publishedOn(2);
        assertThat(resent).extracting(PublishMessage::producerId).containsOnly(client.producerId());
        assertThat(resent).extracting(PublishMessage::sequence).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(resent).isEqualTo(first);
        assertThat(futures).allSatisfy(f -> assertThat(f.join().duplicate()).isFalse());
    }

    @Test
    void shouldReportDuplicatesWhenTheBrokerHadStoredMessagesWhoseAcknowledgementWasLost() {
        BrokerClient client = connect();
        broker.storeButDropPublishAcks(true);
        List<CompletableFuture<SendReceipt>> futures = sendAll(client, 3);
        eventually(() -> publishedOn(1).size() == 3);

        broker.storeButDropPublishAcks(false);
        broker.dropConnections();

        List<SendReceipt> receipts = futures.stream().map(f -> f.orTimeout(10, TimeUnit.SECONDS).join())
                .collect(Collectors.toList());
        assertThat(receipts).allMatch(SendReceipt::duplicate);
        assertThat(receipts).extracting(SendReceipt::offset).containsExactly(0L, 1L, 2L);
    }

    @Test
    void shouldKeepNumberingNewMessagesAfterTheResentOnes() {
        broker.holdPublishes();
        BrokerClient client = connect();
        List<CompletableFuture<SendReceipt>> before = sendAll(client, 2);
        eventually(() -> publishedOn(1).size() == 2);
        broker.stopHolding();
        broker.dropConnections();

        SendReceipt after = client.send("orders", Message.of("after"));

        before.forEach(f -> f.orTimeout(10, TimeUnit.SECONDS).join());
        assertThat(after.offset()).isEqualTo(2);
        assertThat(broker.publishedMessages()).extracting(PublishMessage::sequence).endsWith(3L);
    }

    @Test
    void shouldResubscribeWithPrefetchMinusHeldMessagesAndSettleOldDeliveriesWithTheNewConsumerId() {
        BrokerClient client = connect();
        List<ReceivedMessage> held = new CopyOnWriteArrayList<>();
        // a prefetch below 8 returns each settlement's credit at once (the threshold is a quarter of it, at
        // least 1): with a larger one, credit below the threshold waits for more, and how the three acks
        // below fall into flushes would decide what the broker has been sent
        Subscription subscription = client.subscribe("orders", "billing",
                SubscribeOptions.builder().prefetch(4).build(), held::add);
        int oldConsumer = broker.lastConsumerId();
        for (long offset = 0; offset < 3; offset++) {
            broker.deliver(oldConsumer, "orders", offset, "m");
        }
        eventually(() -> held.size() == 3);

        broker.dropConnections();

        eventually(() -> broker.received(2, SubscribeFrame.class).size() == 1);
        SubscribeFrame resubscribe = broker.received(2, SubscribeFrame.class).get(0);
        assertThat(resubscribe.queue()).isEqualTo("orders");
        assertThat(resubscribe.subscription()).isEqualTo("billing");
        assertThat(resubscribe.initialCredit()).isEqualTo(1);
        int newConsumer = broker.lastConsumerId();
        assertThat(newConsumer).isNotEqualTo(oldConsumer);

        held.forEach(ReceivedMessage::ack);

        eventually(() -> broker.received(2, AckFrame.class).stream().mapToInt(AckFrame::count).sum() == 3);
        assertThat(broker.received(2, AckFrame.class)).allSatisfy(a -> assertThat(a.consumerId()).isEqualTo(newConsumer));
        assertThat(broker.received(2, AckFrame.class).stream().flatMapToLong(a -> LongStream.of(a.offsets())))
                .containsExactlyInAnyOrder(0L, 1L, 2L);
        eventually(() -> broker.received(2, CreditFrame.class).stream().mapToLong(CreditFrame::credit).sum() == 3);
        assertThat(subscription.isOpen()).isTrue();

        broker.deliver(newConsumer, "orders", 3, "new");
        eventually(() -> held.size() == 4);
    }

    @Test
    void shouldReconnectToTheConfiguredAddressesInTurn() {
        try (FakeBroker second = FakeBroker.start(SERVER)) {
            BrokerClient client = connect(builder().address("127.0.0.1", second.port()));
            assertThat(broker.authenticatedConnections()).isEqualTo(1);

            broker.dropConnections();

            eventually(() -> second.authenticatedConnections() == 1);
            assertThat(client.principal()).isEqualTo("alice");
            second.dropConnections();
            eventually(() -> broker.authenticatedConnections() == 2);
        }
    }

    @Test
    void shouldFailANonPublishRequestInFlightWithRetriableConnectionLost() {
        broker.respond(FrameType.CREATE_QUEUE, f -> List.of());
        BrokerClient client = connect();
        CompletableFuture<Void> create = CompletableFuture.runAsync(() -> client.createQueue(QueueSpec.named("q")));
        eventually(() -> !broker.received(CreateQueueFrame.class).isEmpty());

        broker.dropConnections();

        assertThatThrownBy(() -> create.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(BrokerException.class)
                .satisfies(e -> {
                    BrokerException be = (BrokerException) e.getCause();
                    assertThat(be.code()).contains(ErrorCode.CONNECTION_LOST);
                    assertThat(be.retriable()).isTrue();
                });
    }

    @Test
    void shouldStopReconnectingAndFailEverythingPendingWhenAuthenticationFailsOnReconnect() {
        broker.holdPublishes();
        BrokerClient client = connect();
        Subscription subscription = client.subscribe("orders", "billing", m -> { });
        CompletableFuture<SendReceipt> pending = client.sendAsync("orders", Message.of("x"));
        eventually(() -> publishedOn(1).size() == 1);

        broker.credentials("alice", "rotated");
        broker.dropConnections();

        BrokerException e = PublishTest.failure(pending);
        assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED);
        assertThat(e.retriable()).isFalse();
        eventually(() -> !subscription.isOpen());
        int attempts = broker.authResponses().size();
        CompletableFuture<SendReceipt> later = client.sendAsync("orders", Message.of("y"));
        assertThat(later).isCompletedExceptionally();
        assertThat(PublishTest.failure(later).code()).contains(ErrorCode.AUTHENTICATION_FAILED);
        assertThat(broker.authResponses()).hasSize(attempts);
    }

    @Test
    void shouldFailPendingSendsWithConnectionLostWhenThePolicyGivesUp() {
        broker.holdPublishes();
        BrokerClient client = connect(builder().reconnect(ReconnectPolicy.never()));
        CompletableFuture<SendReceipt> pending = client.sendAsync("orders", Message.of("x"));
        eventually(() -> publishedOn(1).size() == 1);

        broker.dropConnections();

        BrokerException e = PublishTest.failure(pending);
        assertThat(e.code()).contains(ErrorCode.CONNECTION_LOST);
        assertThat(broker.authenticatedConnections()).isEqualTo(1);
    }

    @Test
    void shouldReconnectAfterAConnectionLevelError() {
        BrokerClient client = connect();

        broker.send(new ErrorFrame(0, ErrorCode.SHUTTING_DOWN, "restarting"));

        eventually(() -> broker.authenticatedConnections() == 2);
        assertThat(client.send("orders", Message.of("after restart")).queue()).isEqualTo("orders");
    }

    @Test
    void shouldFailARequestMadeWhileReconnectingAtOnceWithConnectionLost() {
        BrokerClient client = connect(builder().reconnect(
                ReconnectPolicy.exponentialBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30))));
        broker.dropConnections();

        eventually(() -> {
            try {
                client.listQueues();
                return false;
            } catch (BrokerException e) {
                assertThat(e.code()).contains(ErrorCode.CONNECTION_LOST);
                assertThat(e.retriable()).isTrue();
                assertThat(e.getMessage()).contains("not connected");
                return true;
            }
        });
    }
}
