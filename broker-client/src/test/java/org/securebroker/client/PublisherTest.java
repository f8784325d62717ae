package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

class PublisherTest {

    private static final String PRODUCER = "p-00000000000000ab";

    private final Publisher publisher = new Publisher(PRODUCER, 100_000, SendBufferPolicy.FAIL,
            Duration.ofSeconds(30), Runnable::run, ClientIntegrity.UNVERIFIED);

    private static List<PublishFrame> publishes(List<Frame> frames) {
        return EmbeddedSession.ofType(frames, PublishFrame.class);
    }

    private static List<Long> sequences(List<PublishFrame> frames) {
        return frames.stream().flatMap(f -> f.messages().stream()).map(PublishMessage::sequence)
                .collect(Collectors.toList());
    }

    @Test
    void shouldGroupEverythingQueuedBeforeADrainIntoFramesOfAtMost256Messages() {
        EmbeddedSession s = new EmbeddedSession(Integer.MAX_VALUE / 2);
        for (int i = 0; i < 600; i++) {
            publisher.enqueue("orders", Message.of("m" + i), s.session.maxFrameSize());
        }

        publisher.drain(s.session);

        List<PublishFrame> frames = publishes(s.written());
        assertThat(frames).extracting(f -> f.messages().size()).containsExactly(256, 256, 88);
        assertThat(frames).extracting(PublishFrame::correlationId).containsExactly(3, 4, 5);
        assertThat(sequences(frames)).isEqualTo(java.util.stream.LongStream.rangeClosed(1, 600).boxed()
                .collect(Collectors.toList()));
        assertThat(frames.get(0).messages()).allMatch(m -> m.producerId().equals(PRODUCER));
    }

    @Test
    void shouldStopWritingFramesWhileTheChannelIsNotWritableAndGoOnInOrderWhenItIs() {
        EmbeddedSession s = new EmbeddedSession(Integer.MAX_VALUE / 2);
        // every frame counts 1,000 bytes against a high-water mark of 500: one frame fills the channel
        s.channel.config().setMessageSizeEstimator(() -> msg -> 1000);
        s.channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(100, 500));
        for (int i = 0; i < 600; i++) {
            publisher.enqueue("orders", Message.of("m" + i), s.session.maxFrameSize());
        }

        publisher.drain(s.session);
        List<PublishFrame> first = publishes(s.written());
        publisher.drain(s.session);
        publisher.drain(s.session);
        List<PublishFrame> rest = publishes(s.written());

        assertThat(first).extracting(f -> f.messages().size()).containsExactly(256);
        assertThat(rest).extracting(f -> f.messages().size()).containsExactly(256, 88);
        List<PublishFrame> all = new java.util.ArrayList<>(first);
        all.addAll(rest);
        assertThat(sequences(all)).isEqualTo(java.util.stream.LongStream.rangeClosed(1, 600).boxed()
                .collect(Collectors.toList()));
    }

    @Test
    void shouldCompleteEachFutureWithTheResultAtItsPositionInPublishOk() {
        EmbeddedSession s = new EmbeddedSession(1 << 20);
        List<CompletableFuture<SendReceipt>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(publisher.enqueue("orders", Message.of("m"), s.session.maxFrameSize()).result());
        }
        publisher.drain(s.session);
        PublishFrame frame = publishes(s.written()).get(0);

        s.session.onFrame(new PublishOkFrame(frame.correlationId(), List.of(
                new PublishResult(10, false, Bytes.EMPTY), new PublishResult(11, true, Bytes.utf8("r")),
                new PublishResult(12, false, Bytes.EMPTY))));

        assertThat(futures).extracting(f -> f.join().offset()).containsExactly(10L, 11L, 12L);
        assertThat(futures.get(1).join().duplicate()).isTrue();
        assertThat(futures.get(1).join().receipt()).isEqualTo(Bytes.utf8("r"));
        assertThat(publisher.inFlight()).isZero();
    }

    @Test
    void shouldFailEveryMessageOfTheBatchWhenPublishOkHasTheWrongNumberOfResults() {
        EmbeddedSession s = new EmbeddedSession(1 << 20);
        CompletableFuture<SendReceipt> a = publisher.enqueue("q", Message.of("a"), 1 << 20).result();
        CompletableFuture<SendReceipt> b = publisher.enqueue("q", Message.of("b"), 1 << 20).result();
        publisher.drain(s.session);
        PublishFrame frame = publishes(s.written()).get(0);

        s.session.onFrame(new PublishOkFrame(frame.correlationId(), List.of(new PublishResult(1, false, Bytes.EMPTY))));

        assertThat(a).isCompletedExceptionally();
        assertThat(b).isCompletedExceptionally();
        assertThat(code(a)).isEqualTo(ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void shouldAcceptAMessageThatExactlyFillsAFrameAndRefuseOneByteMore() {
        int maxFrameSize = 4096;
        int overhead = WireSizes.publishFrameOverhead("q")
                + (int) WireSizes.publishMessageSize(PRODUCER.length(), Headers.EMPTY, 0);
        Message exact = Message.of(new byte[maxFrameSize - overhead]);
        Message tooBig = Message.of(new byte[maxFrameSize - overhead + 1]);
        EmbeddedSession s = new EmbeddedSession(maxFrameSize);

        publisher.enqueue("q", exact, maxFrameSize);
        publisher.drain(s.session);

        PublishFrame frame = publishes(s.written()).get(0);
        assertThat(EmbeddedSession.encodedFrameSize(frame)).isEqualTo(maxFrameSize);
        assertThatThrownBy(() -> publisher.enqueue("q", tooBig, maxFrameSize))
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.code()).contains(ErrorCode.MESSAGE_TOO_LARGE));
    }

    @Test
    void shouldFailAtOnceWithOverloadedWhenTheSendBufferIsFull() {
        Publisher small = new Publisher(PRODUCER, 2, SendBufferPolicy.FAIL, Duration.ofSeconds(30), Runnable::run, ClientIntegrity.UNVERIFIED);
        small.enqueue("q", Message.of("1"), 1 << 20);
        small.enqueue("q", Message.of("2"), 1 << 20);

        assertThatThrownBy(() -> small.enqueue("q", Message.of("3"), 1 << 20))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.OVERLOADED);
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).contains("2 sends in flight");
                });
    }

    @Test
    void shouldResendUnacknowledgedMessagesAheadOfNewerOnesInSequenceOrder() {
        EmbeddedSession first = new EmbeddedSession(1 << 20);
        for (int i = 0; i < 3; i++) {
            publisher.enqueue("orders", Message.of("old" + i), 1 << 20);
        }
        publisher.drain(first.session);
        first.written();
        List<PublishBatch> lost = first.session.drainPending().stream()
                .map(PublishBatch.class::cast).collect(Collectors.toList());
        publisher.enqueue("orders", Message.of("new"), 1 << 20);
        publisher.drain(null);
        publisher.requeue(lost);

        EmbeddedSession second = new EmbeddedSession(1 << 20);
        publisher.drain(second.session);

        List<PublishFrame> resent = publishes(second.written());
        assertThat(sequences(resent)).containsExactly(1L, 2L, 3L, 4L);
        assertThat(resent.get(0).messages().get(3).payload()).isEqualTo(Bytes.utf8("new"));
    }

    @Test
    void shouldFailMessagesWithTimeoutOnceTheirDeadlineHasPassed() {
        Publisher quick = new Publisher(PRODUCER, 10, SendBufferPolicy.FAIL, Duration.ofMillis(50), Runnable::run, ClientIntegrity.UNVERIFIED);
        CompletableFuture<SendReceipt> f = quick.enqueue("q", Message.of("x"), 1 << 20).result();
        quick.drain(null);

        quick.expire(System.nanoTime());
        assertThat(f).isNotDone();
        quick.expire(System.nanoTime() + Duration.ofSeconds(1).toNanos());

        assertThat(code(f)).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(quick.inFlight()).isZero();
    }

    private record Send(String queue, int payloadSize) {
    }

    private record Scenario(int maxFrameSize, List<Send> sends) {
    }

    @Test
    void shouldSendEveryMessageOnceWithinFrameLimitsAndInOrderPerQueue() {
        Gen<Send> send = random -> new Send(Gen.elements("a", "b", "ü-queue").next(random),
                Gen.ints(0, 3000).next(random));
        Gen<Scenario> scenarios = random -> new Scenario(Gen.ints(4096, 20_000).next(random),
                send.list(1, 700).next(random));

        PropertyCheck.forAll(100, scenarios, scenario -> {
            Publisher p = new Publisher(PRODUCER, 100_000, SendBufferPolicy.FAIL, Duration.ofSeconds(30), Runnable::run, ClientIntegrity.UNVERIFIED);
            EmbeddedSession s = new EmbeddedSession(scenario.maxFrameSize());
            Map<String, List<Integer>> expected = new HashMap<>();
            for (Send m : scenario.sends()) {
                p.enqueue(m.queue(), Message.of(new byte[m.payloadSize()]), scenario.maxFrameSize());
                expected.computeIfAbsent(m.queue(), q -> new ArrayList<>()).add(m.payloadSize());
            }

            p.drain(s.session);

            Map<String, List<Integer>> sent = new HashMap<>();
            Map<String, Long> lastSequence = new HashMap<>();
            for (PublishFrame f : publishes(s.written())) {
                assertThat(f.messages()).hasSizeBetween(1, Publisher.MAX_BATCH);
                assertThat(EmbeddedSession.encodedFrameSize(f)).isLessThanOrEqualTo(scenario.maxFrameSize());
                for (PublishMessage m : f.messages()) {
                    sent.computeIfAbsent(f.queue(), q -> new ArrayList<>()).add(m.payload().length());
                    assertThat(m.sequence()).isGreaterThan(lastSequence.getOrDefault(f.queue(), 0L));
                    lastSequence.put(f.queue(), m.sequence());
                }
            }
            assertThat(sent).isEqualTo(expected);
        });
    }

    private static ErrorCode code(CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        try {
            f.join();
        } catch (java.util.concurrent.CompletionException e) {
            return ((BrokerException) e.getCause()).code().orElseThrow();
        }
        throw new AssertionError("not failed");
    }
}
