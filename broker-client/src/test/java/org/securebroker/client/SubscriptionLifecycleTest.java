package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingConsumer;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CloseFrame;
import org.securebroker.protocol.frame.DeleteSubscriptionFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.PurgeOkFrame;
import org.securebroker.protocol.frame.PurgeQueueFrame;
import org.securebroker.protocol.frame.RejectFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscriptionListFrame;

/** The version-2 requests: negotiation, the lifecycle calls, browsing with verification, REJECT. */
class SubscriptionLifecycleTest extends ClientTestSupport {

    private static final long T0 = 1_700_000_000_000L;

    private static org.securebroker.protocol.frame.BrowsedMessage browsed(long offset, String payload) {
        return new org.securebroker.protocol.frame.BrowsedMessage(offset, T0 + offset, "bob", "p-1", offset + 1,
                Headers.builder().add("k", "v").build(), Bytes.utf8(payload), Bytes.EMPTY, Bytes.EMPTY);
    }

    private void answerBrowseWith(long nextOffset, List<org.securebroker.protocol.frame.BrowsedMessage> messages) {
        broker.respond(FrameType.BROWSE, f -> List.of(new BrowseResultFrame(f.correlationId(), nextOffset, messages)));
    }

    @Test
    void shouldNegotiateVersionTwoWithABrokerThatSpeaksIt() {
        BrokerClient client = connect();

        assertThat(client.protocolVersion()).isEqualTo(2);
    }

    @Test
    void shouldRefuseEveryLifecycleCallLocallyWhenTheBrokerSpeaksOnlyVersionOne() {
        broker.maxVersion(1);
        BrokerClient client = connect();
        assertThat(client.protocolVersion()).isEqualTo(1);

        List<ThrowingConsumer<BrokerClient>> calls = List.of(
                c -> c.listSubscriptions("orders"),
                c -> c.deleteSubscription("orders", "billing"),
                c -> c.purgeQueue("orders"),
                c -> c.browse("orders", 0, 10),
                c -> c.seek("orders", "billing", 0),
                c -> c.seekToTime("orders", "billing", Instant.ofEpochMilli(T0)));
        for (ThrowingConsumer<BrokerClient> call : calls) {
            assertThatThrownBy(() -> call.accept(client)).isInstanceOfSatisfying(BrokerException.class, e -> {
                assertThat(e.code()).contains(ErrorCode.UNSUPPORTED_VERSION);
                assertThat(e.retriable()).isFalse();
                assertThat(e.getMessage()).contains("needs protocol version 2, the broker speaks 1");
            });
        }
        // nothing of version 2 went out, and the session still serves version 1
        client.createQueue(QueueSpec.named("orders"));
        assertThat(broker.received()).extracting(r -> r.frame().type().since()).containsOnly(1);
    }

    @Test
    void shouldTreatAVersionTwoFrameAsUnknownInAVersionOneSession() {
        broker.maxVersion(1);
        connect();

        broker.send(new PurgeOkFrame(0, 5));

        eventually(() -> !broker.received(CloseFrame.class).isEmpty());
        assertThat(broker.received(CloseFrame.class).get(0).code()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE.code());
    }

    @Test
    void shouldListSubscriptionsWithZeroTimesAsAbsent() {
        broker.respond(FrameType.LIST_SUBSCRIPTIONS, f -> List.of(new SubscriptionListFrame(f.correlationId(), List.of(
                new org.securebroker.protocol.frame.SubscriptionInfo("billing", 2, 12, 3, 100, T0, 0),
                new org.securebroker.protocol.frame.SubscriptionInfo("audit", 0, 40, 0, 72, 0, T0 + 5)))));
        BrokerClient client = connect();

        List<SubscriptionInfo> list = client.listSubscriptions("orders");

        assertThat(list).containsExactly(
                new SubscriptionInfo("billing", 2, 12, 3, 100, java.util.Optional.of(Instant.ofEpochMilli(T0)),
                        java.util.Optional.empty()),
                new SubscriptionInfo("audit", 0, 40, 0, 72, java.util.Optional.empty(),
                        java.util.Optional.of(Instant.ofEpochMilli(T0 + 5))));
        assertThat(broker.received(ListSubscriptionsFrame.class)).extracting(ListSubscriptionsFrame::queue)
                .containsExactly("orders");
    }

    @Test
    void shouldListEverySubscriptionPageByPageAskingAfterTheLastName() {
        broker.respond(FrameType.LIST_SUBSCRIPTIONS, f -> {
            String after = ((ListSubscriptionsFrame) f).after();
            List<org.securebroker.protocol.frame.SubscriptionInfo> page = new java.util.ArrayList<>();
            for (String name : List.of("a", "b", "c", "d", "e")) {
                if (name.compareTo(after) > 0 && page.size() < 2) {
                    page.add(new org.securebroker.protocol.frame.SubscriptionInfo(name, 0, 0, 0, 0, 0, 0));
                }
            }
            boolean more = !page.isEmpty() && page.get(page.size() - 1).name().compareTo("e") < 0;
            return List.of(new SubscriptionListFrame(f.correlationId(), page, more));
        });
        BrokerClient client = connect();

        List<SubscriptionInfo> list = client.listSubscriptions("orders");

        assertThat(list).extracting(SubscriptionInfo::name).containsExactly("a", "b", "c", "d", "e");
        assertThat(broker.received(ListSubscriptionsFrame.class)).extracting(ListSubscriptionsFrame::after)
                .containsExactly("", "b", "d");
    }

    @Test
    void shouldRefuseAListingThatAnnouncesMoreWithoutMovingOn() {
        broker.respond(FrameType.LIST_SUBSCRIPTIONS, f -> List.of(new SubscriptionListFrame(f.correlationId(),
                List.of(), true)));
        BrokerClient client = connect();

        assertThatThrownBy(() -> client.listSubscriptions("orders")).isInstanceOf(BrokerException.class)
                .hasMessageContaining("does not move past it");
    }

    @Test
    void shouldDeleteASubscriptionAndReportOneThatDoesNotExist() {
        BrokerClient client = connect();
        client.deleteSubscription("orders", "billing");
        assertThat(broker.received(DeleteSubscriptionFrame.class)).singleElement()
                .satisfies(f -> assertThat(f.queue() + "/" + f.subscription()).isEqualTo("orders/billing"));

        broker.respond(FrameType.DELETE_SUBSCRIPTION, f -> List.of(new ErrorFrame(f.correlationId(),
                ErrorCode.SUBSCRIPTION_NOT_FOUND.code(), "no subscription 'nope' on queue 'orders'")));
        assertThatThrownBy(() -> client.deleteSubscription("orders", "nope"))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.SUBSCRIPTION_NOT_FOUND);
                    assertThat(e.getMessage()).contains("no subscription 'nope' on queue 'orders'");
                });
    }

    @Test
    void shouldReturnHowManyMessagesThePurgeRemoved() {
        broker.respond(FrameType.PURGE_QUEUE, f -> List.of(new PurgeOkFrame(f.correlationId(), 1234)));
        BrokerClient client = connect();

        assertThat(client.purgeQueue("orders")).isEqualTo(1234);
        assertThat(broker.received(PurgeQueueFrame.class)).extracting(PurgeQueueFrame::queue).containsExactly("orders");
    }

    @Test
    void shouldSeekByOffsetAndByTimeAndReturnTheBrokersPosition() {
        broker.respond(FrameType.SEEK, f -> List.of(new SeekOkFrame(f.correlationId(), 77)));
        BrokerClient client = connect();

        assertThat(client.seek("orders", "billing", 70)).isEqualTo(77);
        assertThat(client.seekToTime("orders", "billing", Instant.ofEpochMilli(T0))).isEqualTo(77);

        assertThat(broker.received(SeekFrame.class)).containsExactly(
                new SeekFrame(broker.received(SeekFrame.class).get(0).correlationId(), "orders", "billing",
                        SeekFrame.Kind.OFFSET, 70),
                new SeekFrame(broker.received(SeekFrame.class).get(1).correlationId(), "orders", "billing",
                        SeekFrame.Kind.TIME, T0));
    }

    @Test
    void shouldRefuseBadSeekAndBrowseArgumentsBeforeSending() {
        BrokerClient client = connect();

        assertThatThrownBy(() -> client.seek("orders", "billing", -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> client.seekToTime("orders", "billing", Instant.MAX))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epoch milliseconds");
        assertThatThrownBy(() -> client.browse("orders", 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1, 1000]");
        assertThatThrownBy(() -> client.browse("orders", 0, 1001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.browse("orders", -5, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThat(broker.received()).isEmpty();
    }

    @Test
    void shouldReturnBrowsedMessagesOnlyAfterVerifyingThem() {
        answerBrowseWith(12, List.of(broker.signed("orders", browsed(10, "ten")),
                broker.signed("orders", browsed(11, "eleven"))));
        BrokerClient client = connect();

        BrowseResult page = client.browse("orders", 3, 2);

        assertThat(page.nextOffset()).isEqualTo(12);
        assertThat(page.messages()).extracting(BrowsedMessage::offset).containsExactly(10L, 11L);
        BrowsedMessage first = page.messages().get(0);
        assertThat(first.payloadUtf8()).isEqualTo("ten");
        assertThat(first.queue()).isEqualTo("orders");
        assertThat(first.brokerTimestamp()).isEqualTo(Instant.ofEpochMilli(T0 + 10));
        assertThat(first.headers().get("k")).isPresent();
        assertThat(first.toString()).doesNotContain("ten");
        BrowseFrame sent = broker.received(BrowseFrame.class).get(0);
        assertThat(sent.queue()).isEqualTo("orders");
        assertThat(sent.fromOffset()).isEqualTo(3);
        assertThat(sent.maxMessages()).isEqualTo(2);
        assertThat(sent.maxBytes()).as("what the negotiated frame holds for messages")
                .isEqualTo(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE - org.securebroker.protocol.codec.WireSizes.BROWSE_RESULT_OVERHEAD);
    }

    @Test
    void shouldRefuseABrowsedPageWithAChangedMessage() {
        org.securebroker.protocol.frame.BrowsedMessage genuine = broker.signed("orders", browsed(10, "ten"));
        org.securebroker.protocol.frame.BrowsedMessage changed = new org.securebroker.protocol.frame.BrowsedMessage(
                genuine.offset(), genuine.brokerTimestampMillis(), genuine.producerPrincipal(), genuine.producerId(),
                genuine.sequence(), genuine.headers(), Bytes.utf8("TEN"), genuine.producerSignature(),
                genuine.brokerSignature());
        answerBrowseWith(12, List.of(broker.signed("orders", browsed(9, "nine")), changed));
        BrokerClient client = connect();

        assertThatThrownBy(() -> client.browse("orders", 0, 10)).isInstanceOfSatisfying(BrokerException.class, e -> {
            assertThat(e.code()).contains(ErrorCode.VERIFICATION_FAILED);
            assertThat(e.getMessage()).contains("offset 10").doesNotContain("TEN");
        });
    }

    @Test
    void shouldRefuseABrowsedMessageSignedForAnotherQueueOrNotAtAll() {
        BrokerClient client = connect();

        answerBrowseWith(11, List.of(broker.signed("payments", browsed(10, "ten"))));
        assertThatThrownBy(() -> client.browse("orders", 0, 10)).isInstanceOfSatisfying(BrokerException.class,
                e -> assertThat(e.code()).contains(ErrorCode.VERIFICATION_FAILED));

        answerBrowseWith(11, List.of(browsed(10, "ten")));
        assertThatThrownBy(() -> client.browse("orders", 0, 10)).isInstanceOfSatisfying(BrokerException.class,
                e -> assertThat(e.code()).contains(ErrorCode.VERIFICATION_FAILED));
    }

    @Test
    void shouldReturnUnsignedBrowsedMessagesWhenVerificationIsTurnedOff() {
        answerBrowseWith(11, List.of(browsed(10, "ten")));
        BrokerClient client = connect(unverifiedBuilder());

        assertThat(client.browse("orders", 0, 10).messages()).extracting(BrowsedMessage::payloadUtf8)
                .containsExactly("ten");
    }

    @Test
    void shouldSendARejectWithTheReasonAndSettleTheMessageOnce() {
        List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
        BrokerClient client = connect();
        client.subscribe("orders", "billing", received::add);
        int consumer = broker.lastConsumerId();
        broker.deliver(consumer, "orders", 5, "poison");
        eventually(() -> received.size() == 1);
        ReceivedMessage m = received.get(0);

        m.reject("schema v1 is no longer understood");
        m.ack();

        eventually(() -> !broker.received(RejectFrame.class).isEmpty());
        RejectFrame reject = broker.received(RejectFrame.class).get(0);
        assertThat(reject.consumerId()).isEqualTo(consumer);
        assertThat(reject.offset()).isEqualTo(5);
        assertThat(reject.reason()).isEqualTo("schema v1 is no longer understood");
        assertThat(m.isSettled()).isTrue();
        assertThat(broker.received()).extracting(r -> r.frame().type())
                .doesNotContain(FrameType.ACK, FrameType.NACK);
    }

    @Test
    void shouldRefuseARejectReasonOver1024BytesAndLeaveTheMessageUnsettled() {
        List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
        BrokerClient client = connect();
        client.subscribe("orders", "billing", received::add);
        broker.deliver(broker.lastConsumerId(), "orders", 5, "poison");
        eventually(() -> received.size() == 1);
        ReceivedMessage m = received.get(0);

        assertThatThrownBy(() -> m.reject("é".repeat(513))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1026").hasMessageContaining("1024");
        assertThat(m.isSettled()).isFalse();
        m.reject("x".repeat(1024));
        assertThat(m.isSettled()).isTrue();
    }

    @Test
    void shouldRefuseARejectOnAVersionOneSessionAndLeaveTheMessageUnsettled() {
        broker.maxVersion(1);
        List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
        BrokerClient client = connect();
        client.subscribe("orders", "billing", received::add);
        broker.deliver(broker.lastConsumerId(), "orders", 5, "poison");
        eventually(() -> received.size() == 1);
        ReceivedMessage m = received.get(0);

        assertThatThrownBy(() -> m.reject("bad")).isInstanceOfSatisfying(BrokerException.class, e -> {
            assertThat(e.code()).contains(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(e.getMessage()).contains("reject needs protocol version 2, the broker speaks 1");
        });
        assertThat(m.isSettled()).isFalse();
        m.nack();
        eventually(() -> broker.received().stream().map(r -> r.frame().type()).anyMatch(FrameType.NACK::equals));
        assertThat(broker.received()).extracting(r -> r.frame()).allMatch((Frame f) -> !(f instanceof RejectFrame));
    }
}
