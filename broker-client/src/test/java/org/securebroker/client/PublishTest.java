package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.securebroker.protocol.integrity.Receipt;

class PublishTest extends ClientTestSupport {

    @Test
    void shouldSendAndReturnTheBrokersReceipt() {
        BrokerClient client = connect();

        SendReceipt receipt = client.send("orders", Message.of("hello"));

        assertThat(receipt.queue()).isEqualTo("orders");
        assertThat(receipt.offset()).isZero();
        assertThat(receipt.duplicate()).isFalse();
        Receipt signed = Receipt.decode(receipt.receipt().toByteArray());
        assertThat(signed.queue()).isEqualTo("orders");
        assertThat(signed.isFor(Headers.EMPTY, Bytes.utf8("hello"), Bytes.EMPTY)).isTrue();
        new MessageVerifier(broker.signingKeys()).verify(signed);
    }

    @Test
    void shouldMatchEachReceiptToTheFutureOfItsMessage() {
        broker.respond(FrameType.PUBLISH, f -> {
            List<PublishResult> results = new ArrayList<>();
            for (PublishMessage m : ((PublishFrame) f).messages()) {
                results.add(new PublishResult(1000 + m.sequence(), m.sequence() % 7 == 0,
                        Bytes.utf8("receipt-" + m.sequence())));
            }
            return List.of(new PublishOkFrame(f.correlationId(), results));
        });
        BrokerClient client = connect(unverifiedBuilder());

        List<CompletableFuture<SendReceipt>> futures = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            futures.add(client.sendAsync("orders", Message.of("m" + i)));
        }

        for (int i = 0; i < futures.size(); i++) {
            SendReceipt r = futures.get(i).orTimeout(10, TimeUnit.SECONDS).join();
            long sequence = i + 1L;
            assertThat(r.offset()).isEqualTo(1000 + sequence);
            assertThat(r.duplicate()).isEqualTo(sequence % 7 == 0);
            assertThat(r.receipt()).isEqualTo(Bytes.utf8("receipt-" + sequence));
        }
    }

    @Test
    void shouldNumberMessagesFromOneWithTheClientsProducerIdAndKeepPerQueueOrderInFramesOfAtMost256() {
        BrokerClient client = connect(builder().maxInFlightSends(4096));
        List<CompletableFuture<SendReceipt>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(client.sendAsync(i % 2 == 0 ? "even" : "odd", Message.of(Integer.toString(i))));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).orTimeout(10, TimeUnit.SECONDS).join();

        List<PublishFrame> frames = broker.received(PublishFrame.class);
        assertThat(frames).allSatisfy(f -> assertThat(f.messages()).hasSizeBetween(1, 256));
        Map<String, List<String>> payloadsByQueue = new HashMap<>();
        List<Long> sequences = new ArrayList<>();
        for (PublishFrame f : frames) {
            for (PublishMessage m : f.messages()) {
                assertThat(m.producerId()).isEqualTo(client.producerId());
                sequences.add(m.sequence());
                payloadsByQueue.computeIfAbsent(f.queue(), q -> new ArrayList<>())
                        .add(new String(m.payload().toByteArray(), StandardCharsets.UTF_8));
            }
        }
        assertThat(sequences).doesNotHaveDuplicates().hasSize(2000);
        assertThat(sequences.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(1);
        assertThat(sequences.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(2000);
        List<String> expectedEven = new ArrayList<>();
        List<String> expectedOdd = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            (i % 2 == 0 ? expectedEven : expectedOdd).add(Integer.toString(i));
        }
        assertThat(payloadsByQueue.get("even")).isEqualTo(expectedEven);
        assertThat(payloadsByQueue.get("odd")).isEqualTo(expectedOdd);
    }

    @Test
    void shouldSendPayloadHeadersAndTtl() {
        BrokerClient client = connect();

        client.send("orders", Message.builder()
                .payload(new byte[] {1, 2, 3})
                .header("content-type", "application/octet-stream")
                .header("trace", new byte[] {9})
                .ttl(Duration.ofSeconds(30))
                .build());

        PublishMessage m = broker.publishedMessages().get(0);
        assertThat(m.payload()).isEqualTo(Bytes.copyOf(new byte[] {1, 2, 3}));
        assertThat(m.headers().keys()).containsExactly("content-type", "trace");
        assertThat(m.headers().getUtf8("content-type")).contains("application/octet-stream");
        assertThat(m.ttlMillis()).isEqualTo(30_000);
        assertThat(m.producerSignature()).isEqualTo(Bytes.EMPTY);
    }

    @Test
    void shouldCompleteSendFuturesOnTheClientsCompletionThreadNotTheIoThread() {
        BrokerClient client = connect();
        AtomicReference<String> thread = new AtomicReference<>();
        // held, so that the action is attached before the acknowledgement completes the future
        // (an action attached to a completed future runs on the attaching thread)
        broker.holdPublishes();

        CompletableFuture<Void> done = client.sendAsync("orders", Message.of("x"))
                .thenRun(() -> thread.set(Thread.currentThread().getName()));
        broker.releasePublishes();
        done.orTimeout(10, TimeUnit.SECONDS).join();

        assertThat(thread.get()).contains("-completion").doesNotContain("-io-");
    }

    @Test
    void shouldFailAtOnceWithRetriableOverloadedWhenMaxInFlightSendsAreUnacknowledged() {
        broker.holdPublishes();
        BrokerClient client = connect(builder().maxInFlightSends(4));
        List<CompletableFuture<SendReceipt>> pending = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pending.add(client.sendAsync("orders", Message.of("m" + i)));
        }

        CompletableFuture<SendReceipt> rejected = client.sendAsync("orders", Message.of("one too many"));

        assertThat(rejected).isCompletedExceptionally();
        assertThat(failure(rejected)).satisfies(e -> {
            assertThat(e.code()).contains(ErrorCode.OVERLOADED);
            assertThat(e.retriable()).isTrue();
            assertThat(e.getMessage()).contains("4 sends in flight");
        });
        assertThat(pending).noneMatch(CompletableFuture::isDone);

        eventually(() -> broker.publishedMessages().size() == 4);
        broker.releasePublishes();
        pending.forEach(f -> f.orTimeout(10, TimeUnit.SECONDS).join());
        assertThat(client.send("orders", Message.of("room again")).offset()).isEqualTo(4);
    }

    @Test
    void shouldBlockTheCallerForRoomUnderTheBlockPolicyUntilAnAcknowledgementFreesASlot() throws Exception {
        broker.holdPublishes();
        BrokerClient client = connect(builder().maxInFlightSends(1)
                .whenSendBufferFull(SendBufferPolicy.block(Duration.ofSeconds(10))));
        CompletableFuture<SendReceipt> first = client.sendAsync("orders", Message.of("first"));
        AtomicReference<CompletableFuture<SendReceipt>> second = new AtomicReference<>();
        Thread caller = new Thread(() -> second.set(client.sendAsync("orders", Message.of("second"))));
        caller.start();

        eventually(() -> caller.getState() == Thread.State.TIMED_WAITING);
        assertThat(second.get()).isNull();
        broker.releasePublishes();
        caller.join(10_000);

        assertThat(first.orTimeout(10, TimeUnit.SECONDS).join().offset()).isZero();
        assertThat(second.get().orTimeout(10, TimeUnit.SECONDS).join().offset()).isEqualTo(1);
    }

    @Test
    void shouldFailWithOverloadedWhenNoRoomFreesUpWithinTheBlockTime() {
        broker.holdPublishes();
        BrokerClient client = connect(builder().maxInFlightSends(1)
                .whenSendBufferFull(SendBufferPolicy.block(Duration.ofMillis(200))));
        client.sendAsync("orders", Message.of("first"));

        long start = System.nanoTime();
        CompletableFuture<SendReceipt> second = client.sendAsync("orders", Message.of("second"));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
        assertThat(failure(second).code()).contains(ErrorCode.OVERLOADED);
    }

    @Test
    void shouldFailAtOnceWithMessageTooLargeWhenTheMessageCannotFitTheNegotiatedFrameSize() {
        broker.maxFrameSize(4096);
        BrokerClient client = connect();

        CompletableFuture<SendReceipt> tooLarge = client.sendAsync("orders", Message.of(new byte[5000]));

        assertThat(tooLarge).isCompletedExceptionally();
        assertThat(failure(tooLarge)).satisfies(e -> {
            assertThat(e.code()).contains(ErrorCode.MESSAGE_TOO_LARGE);
            assertThat(e.retriable()).isFalse();
        });
        assertThat(client.send("orders", Message.of(new byte[3000])).queue()).isEqualTo("orders");
    }

    @Test
    void shouldBoundEachPublishFrameByTheNegotiatedFrameSize() {
        broker.maxFrameSize(4096);
        BrokerClient client = connect();
        List<CompletableFuture<SendReceipt>> futures = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            futures.add(client.sendAsync("orders", Message.of(new byte[1000])));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).orTimeout(10, TimeUnit.SECONDS).join();

        // 4 messages of ~1040 encoded bytes would exceed 4096.
        assertThat(broker.received(PublishFrame.class)).allSatisfy(f -> assertThat(f.messages()).hasSizeLessThanOrEqualTo(3));
        assertThat(broker.publishedMessages()).hasSize(40);
    }

    @Test
    void shouldFailSendWithTimeoutWhenTheBrokerNeverAcknowledges() {
        broker.holdPublishes();
        BrokerClient client = connect(builder().requestTimeout(Duration.ofMillis(300)));

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send("orders", Message.of("lost?")))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.code()).contains(ErrorCode.TIMEOUT);
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).contains("may still be stored");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(290));
    }

    @Test
    void shouldRejectAnEmptyQueueNameAsAProgrammingError() {
        BrokerClient client = connect();

        assertThatThrownBy(() -> client.sendAsync("", Message.of("x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static BrokerException failure(CompletableFuture<?> future) {
        try {
            future.orTimeout(10, TimeUnit.SECONDS).join();
        } catch (CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(BrokerException.class);
            return (BrokerException) e.getCause();
        }
        throw new AssertionError("future completed normally");
    }
}
