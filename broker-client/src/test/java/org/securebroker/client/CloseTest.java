package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.CloseFrame;

class CloseTest extends ClientTestSupport {

    private static String threadPrefix(BrokerClient client) {
        String s = client.toString();
        return s.substring(0, s.indexOf('[')) + "-";
    }

    private static List<String> liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).map(Thread::getName).filter(n -> n.startsWith(prefix))
                .collect(Collectors.toList());
    }

    @Test
    void shouldSendCloseWithoutErrorAndFailPendingSendsWithClientClosed() {
        broker.holdPublishes();
        BrokerClient client = connect();
        CompletableFuture<SendReceipt> pending = client.sendAsync("orders", Message.of("x"));
        eventually(() -> broker.heldPublishCount() == 1);

        client.close();

        BrokerException e = PublishTest.failure(pending);
        assertThat(e.code()).contains(ErrorCode.CLIENT_CLOSED);
        assertThat(e.retriable()).isFalse();
        eventually(() -> !broker.received(CloseFrame.class).isEmpty());
        assertThat(broker.received(CloseFrame.class).get(0).code()).isEqualTo(ErrorCode.NONE.code());
    }

    @Test
    void shouldBeIdempotentAndRefuseWorkAfterClose() {
        BrokerClient client = connect();

        client.close();
        client.close();

        CompletableFuture<SendReceipt> after = client.sendAsync("orders", Message.of("x"));
        assertThat(after).isCompletedExceptionally();
        assertThat(PublishTest.failure(after).code()).contains(ErrorCode.CLIENT_CLOSED);
        assertThatThrownBy(() -> client.send("orders", Message.of("x")))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.code()).contains(ErrorCode.CLIENT_CLOSED));
        assertThatThrownBy(() -> client.subscribe("orders", "billing", m -> { }))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.code()).contains(ErrorCode.CLIENT_CLOSED));
        assertThatThrownBy(client::listQueues)
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.code()).contains(ErrorCode.CLIENT_CLOSED));
    }

    @Test
    void shouldStopItsThreadsAndSubscriptions() {
        BrokerClient client = connect();
        List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
        Subscription subscription = client.subscribe("orders", "billing", received::add);
        broker.deliver(broker.lastConsumerId(), "orders", 0, "starts the callback thread");
        eventually(() -> received.size() == 1);
        String prefix = threadPrefix(client);
        assertThat(liveThreads(prefix)).anyMatch(n -> n.contains("-io-"))
                .anyMatch(n -> n.contains("-callback-orders/billing"));

        client.close();

        assertThat(subscription.isOpen()).isFalse();
        eventually(() -> liveThreads(prefix).isEmpty());
    }

    @Test
    void shouldCloseTheSubscriptionQuietlyAfterTheClientClosed() {
        BrokerClient client = connect();
        Subscription subscription = client.subscribe("orders", "billing", m -> { });

        client.close();
        subscription.close();

        assertThat(subscription.isOpen()).isFalse();
    }
}
