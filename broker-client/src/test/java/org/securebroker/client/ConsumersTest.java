package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.NackFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;

/**
 * Flow control and settlement coalescing, driven turn by turn: tasks the consumers hand to the
 * "I/O thread" run only when the test calls {@link #runIoTurn()}.
 */
class ConsumersTest {

    private final ArrayDeque<Runnable> ioTasks = new ArrayDeque<>();
    private EmbeddedSession current;
    private final Consumers consumers = new Consumers(new Consumers.Host() {
        @Override
        public Session currentSession() {
            return current == null ? null : current.session;
        }

        @Override
        public boolean executeOnLoop(Runnable task) {
            ioTasks.add(task);
            return true;
        }

        @Override
        public int protocolVersion() {
            return current == null ? 0 : current.session.version();
        }
    }, "test", Optional.of(Runnable::run), Duration.ofSeconds(5), ClientIntegrity.UNVERIFIED);
    private final List<ReceivedMessage> received = new CopyOnWriteArrayList<>();

    private void runIoTurn() {
        Runnable task;
        while ((task = ioTasks.poll()) != null) {
            task.run();
        }
    }

    /** Subscribes on a new session and answers SUBSCRIBE_OK with {@code consumerId}. */
    private SubscriptionImpl subscribe(int prefetch, int consumerId, int maxFrameSize) {
        current = new EmbeddedSession(maxFrameSize);
        SubscriptionImpl s = consumers.create("q", "sub", SubscribeOptions.builder().prefetch(prefetch).build(),
                received::add);
        CompletableFuture<Void> attached = new CompletableFuture<>();
        consumers.attach(s, attached);
        SubscribeFrame subscribe = EmbeddedSession.ofType(current.written(), SubscribeFrame.class).get(0);
        assertThat(subscribe.initialCredit()).isEqualTo(prefetch);
        current.session.onFrame(new SubscribeOkFrame(subscribe.correlationId(), consumerId));
        assertThat(attached).isCompleted();
        return s;
    }

    private static DeliverFrame deliver(int consumerId, long offset) {
        return new DeliverFrame(consumerId, "q", offset, 1, 0, "bob", "", 0, Headers.EMPTY, Bytes.EMPTY,
                Bytes.EMPTY, Bytes.EMPTY);
    }

    private void deliverAll(int consumerId, int count) {
        for (int i = 0; i < count; i++) {
            consumers.onDeliver(deliver(consumerId, i));
        }
    }

    @Test
    void shouldSendOneAckFrameTheNacksAndOneCreditForAllSettlementsOfAnIoTurn() {
        subscribe(8, 5, 1 << 20);
        deliverAll(5, 5);
        received.subList(0, 4).forEach(ReceivedMessage::ack);
        received.get(4).nack(Duration.ofMillis(100));

        runIoTurn();

        List<Frame> frames = current.written();
        assertThat(EmbeddedSession.ofType(frames, AckFrame.class)).singleElement().satisfies(a -> {
            assertThat(a.consumerId()).isEqualTo(5);
            assertThat(a.offsets()).containsExactly(0, 1, 2, 3);
        });
        assertThat(EmbeddedSession.ofType(frames, NackFrame.class)).singleElement()
                .satisfies(n -> assertThat(n).extracting(NackFrame::offset, NackFrame::delayMillis).containsExactly(4L, 100L));
        assertThat(EmbeddedSession.ofType(frames, CreditFrame.class)).extracting(CreditFrame::credit).containsExactly(5L);
    }

    @Test
    void shouldHoldCreditBackUntilAQuarterOfThePrefetchHasAccumulated() {
        subscribe(8, 5, 1 << 20);
        deliverAll(5, 3);

        received.get(0).ack();
        runIoTurn();
        List<Frame> firstTurn = current.written();
        received.get(1).ack();
        runIoTurn();
        List<Frame> secondTurn = current.written();

        assertThat(EmbeddedSession.ofType(firstTurn, AckFrame.class)).hasSize(1);
        assertThat(EmbeddedSession.ofType(firstTurn, CreditFrame.class)).isEmpty();
        assertThat(EmbeddedSession.ofType(secondTurn, CreditFrame.class)).extracting(CreditFrame::credit).containsExactly(2L);
    }

    @Test
    void shouldSplitAcksSoThatEachFrameFitsTheNegotiatedFrameSize() {
        subscribe(1000, 5, 4096);
        deliverAll(5, 600);
        received.forEach(ReceivedMessage::ack);

        runIoTurn();

        List<AckFrame> acks = EmbeddedSession.ofType(current.written(), AckFrame.class);
        assertThat(acks).extracting(AckFrame::count).containsExactly(510, 90);
        assertThat(acks).allSatisfy(a -> assertThat(EmbeddedSession.encodedFrameSize(a)).isLessThanOrEqualTo(4096));
    }

    @Test
    void shouldResubscribeWithPrefetchMinusHeldButAtLeastOneAndKeepTheOvershootBack() {
        SubscriptionImpl s = subscribe(2, 5, 1 << 20);
        deliverAll(5, 2);
        consumers.sessionLost();
        current = new EmbeddedSession(1 << 20);

        consumers.sessionOpened(current.session);

        SubscribeFrame resubscribe = EmbeddedSession.ofType(current.written(), SubscribeFrame.class).get(0);
        assertThat(resubscribe.initialCredit()).isEqualTo(1);
        current.session.onFrame(new SubscribeOkFrame(resubscribe.correlationId(), 9));
        assertThat(s.consumerId()).isEqualTo(9);

        received.get(0).ack();
        runIoTurn();
        List<Frame> first = current.written();
        received.get(1).ack();
        runIoTurn();
        List<Frame> second = current.written();

        assertThat(EmbeddedSession.ofType(first, AckFrame.class)).allSatisfy(a -> assertThat(a.consumerId()).isEqualTo(9));
        assertThat(EmbeddedSession.ofType(first, CreditFrame.class)).isEmpty();
        assertThat(EmbeddedSession.ofType(second, CreditFrame.class)).singleElement().satisfies(c -> {
            assertThat(c.consumerId()).isEqualTo(9);
            assertThat(c.credit()).isEqualTo(1);
        });
    }

    @Test
    void shouldSendSettlementsMadeWhileDisconnectedWithTheNewConsumerId() {
        subscribe(8, 5, 1 << 20);
        deliverAll(5, 1);
        consumers.sessionLost();
        EmbeddedSession old = current;
        current = null;

        received.get(0).ack();
        runIoTurn();
        current = new EmbeddedSession(1 << 20);
        consumers.sessionOpened(current.session);
        SubscribeFrame resubscribe = EmbeddedSession.ofType(current.written(), SubscribeFrame.class).get(0);
        current.session.onFrame(new SubscribeOkFrame(resubscribe.correlationId(), 6));

        assertThat(old.written()).isEmpty();
        assertThat(resubscribe.initialCredit()).isEqualTo(8);
        List<Frame> frames = current.written();
        assertThat(EmbeddedSession.ofType(frames, AckFrame.class)).singleElement().satisfies(a -> {
            assertThat(a.consumerId()).isEqualTo(6);
            assertThat(a.offsets()).containsExactly(0);
        });
        assertThat(EmbeddedSession.ofType(frames, CreditFrame.class)).isEmpty();
    }

    @Test
    void shouldDropDeliveriesForUnknownConsumers() {
        subscribe(8, 5, 1 << 20);

        consumers.onDeliver(deliver(77, 0));

        assertThat(received).isEmpty();
    }
}
