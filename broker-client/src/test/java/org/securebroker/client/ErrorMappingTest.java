package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.frame.QueueListFrame;
import org.securebroker.protocol.frame.ReloadFrame;

class ErrorMappingTest extends ClientTestSupport {

    private void refusePublishesWith(int code, String message) {
        broker.respond(FrameType.PUBLISH, f -> List.of(new ErrorFrame(f.correlationId(), code, message)));
    }

    @Test
    void shouldFailThePublishWithTheBrokersNonRetriableCodeAndMessage() {
        refusePublishesWith(ErrorCode.NOT_AUTHORIZED.code(), "alice may not publish to 'orders'");
        BrokerClient client = connect();

        BrokerException e = PublishTest.failure(client.sendAsync("orders", Message.of("x")));

        assertThat(e.code()).contains(ErrorCode.NOT_AUTHORIZED);
        assertThat(e.rawCode()).isEqualTo(20);
        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage()).contains("NOT_AUTHORIZED").contains("alice may not publish to 'orders'");
    }

    @Test
    void shouldMarkARetriableBrokerCodeAsRetriable() {
        refusePublishesWith(ErrorCode.STORE_FULL.code(), "disk full");
        BrokerClient client = connect();

        assertThatThrownBy(() -> client.send("orders", Message.of("x")))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.STORE_FULL);
                    assertThat(e.retriable()).isTrue();
                });
    }

    @Test
    void shouldKeepAnUnknownErrorCodeAsANonRetriableNumberAndCarryOn() {
        refusePublishesWith(999, "from the future");
        BrokerClient client = connect(unverifiedBuilder());

        BrokerException e = PublishTest.failure(client.sendAsync("orders", Message.of("x")));

        assertThat(e.code()).isEmpty();
        assertThat(e.rawCode()).isEqualTo(999);
        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage()).contains("UNKNOWN(999)").contains("from the future");
        broker.respond(FrameType.PUBLISH, f -> List.of(new PublishOkFrame(
                f.correlationId(), List.of(new PublishResult(
                        7, false, Bytes.EMPTY)))));
        assertThat(client.send("orders", Message.of("y")).offset()).isEqualTo(7);
    }

    @Test
    void shouldFailOnlyTheRequestWhoseCorrelationIdTheErrorEchoes() {
        BrokerClient client = connect();
        broker.holdPublishes();
        CompletableFuture<SendReceipt> pending = client.sendAsync("orders", Message.of("held"));
        broker.respond(FrameType.CREATE_QUEUE, f -> List.of(ErrorFrame.of(f.correlationId(), ErrorCode.QUEUE_EXISTS)));

        assertThatThrownBy(() -> client.createQueue(QueueSpec.named("orders")))
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.code()).contains(ErrorCode.QUEUE_EXISTS));

        assertThat(pending).isNotDone();
        broker.releasePublishes();
        assertThat(pending.join().queue()).isEqualTo("orders");
    }

    @Test
    void shouldCreateDeleteAndListQueues() {
        broker.respond(FrameType.LIST_QUEUES, f -> List.of(new QueueListFrame(f.correlationId(), List.of(
                new org.securebroker.protocol.frame.QueueInfo("orders", 12, 2, 5, "orders.dlq", 60_000)))));
        BrokerClient client = connect();

        client.createQueue(QueueSpec.named("orders").withMaxDeliveries(5).withDeadLetterQueue("orders.dlq")
                .withDefaultTtl(Duration.ofMinutes(1)));
        client.deleteQueue("old");
        List<QueueInfo> queues = client.listQueues();

        CreateQueueFrame create = broker.received(CreateQueueFrame.class).get(0);
        assertThat(create.queue()).isEqualTo("orders");
        assertThat(create.maxDeliveries()).isEqualTo(5);
        assertThat(create.deadLetterQueue()).isEqualTo("orders.dlq");
        assertThat(create.defaultTtlMillis()).isEqualTo(60_000);
        assertThat(broker.received(DeleteQueueFrame.class)).extracting(DeleteQueueFrame::queue).containsExactly("old");
        assertThat(queues).containsExactly(new QueueInfo("orders", 12, 2, 5, "orders.dlq", Duration.ofMinutes(1)));
    }

    @Test
    void shouldSendReloadAndReturnWhenTheBrokerAnswersOk() {
        BrokerClient client = connect();

        client.reload();

        assertThat(broker.received(ReloadFrame.class)).hasSize(1);
    }

    @Test
    void shouldFailReloadWithTheBrokersCodeAndMessage() {
        broker.respond(FrameType.RELOAD, f -> List.of(new ErrorFrame(f.correlationId(),
                ErrorCode.INVALID_REQUEST.code(), "cannot load /etc/broker/tls/server.pem")));
        BrokerClient client = connect();

        assertThatThrownBy(client::reload)
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.INVALID_REQUEST);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.getMessage()).contains("RELOAD").contains("cannot load /etc/broker/tls/server.pem");
                });
        broker.respond(FrameType.RELOAD, f -> List.of(ErrorFrame.of(f.correlationId(), ErrorCode.NOT_AUTHORIZED)));
        assertThatThrownBy(client::reload)
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.code()).contains(ErrorCode.NOT_AUTHORIZED));
    }

    @Test
    void shouldFailAnAdminRequestWithTimeoutWhenTheBrokerDoesNotAnswer() {
        broker.respond(FrameType.DELETE_QUEUE, f -> List.of());
        BrokerClient client = connect(builder().requestTimeout(Duration.ofMillis(200)));

        assertThatThrownBy(() -> client.deleteQueue("orders"))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.TIMEOUT);
                    assertThat(e.retriable()).isTrue();
                });
    }

    @Test
    void shouldSurviveAnErrorAnsweringAnAck() {
        broker.respond(FrameType.ACK, f -> List.of(ErrorFrame.of(f.correlationId(), ErrorCode.UNKNOWN_CONSUMER)));
        BrokerClient client = connect();
        List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
        client.subscribe("orders", "billing", received::add);
        broker.deliver(broker.lastConsumerId(), "orders", 1, "m");
        eventually(() -> received.size() == 1);

        received.get(0).ack();

        eventually(() -> !broker.received(AckFrame.class).isEmpty());
        assertThat(client.send("orders", Message.of("still fine")).queue()).isEqualTo("orders");
    }

    @Test
    void shouldAnswerABrokerPingWithAPongEchoingPayloadAndCorrelationId() {
        connect();

        broker.send(new PingFrame(77, 0x1234_5678_9ABCL));

        eventually(() -> !broker.received(PongFrame.class).isEmpty());
        assertThat(broker.received(PongFrame.class)).containsExactly(new PongFrame(77, 0x1234_5678_9ABCL));
    }
}
