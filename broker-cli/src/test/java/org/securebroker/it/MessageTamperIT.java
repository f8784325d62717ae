package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerException;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.client.Subscription;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.server.message.MessageEnvelope;

/**
 * Changing any signed field of a stored message, at rest in the segment files (below the
 * encryption) or in transit (a man in the middle holding the broker's TLS key), makes the
 * consumer's verification fail: the message never reaches the application, and the
 * subscription ends with VERIFICATION_FAILED at exactly that offset.
 */
class MessageTamperIT {

    /** One queue per changed field, and one left alone. */
    private static final List<String> TAMPERED = List.of("payload", "header", "timestamp", "producer", "offset", "queue");

    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"));
        try (BrokerClient admin = client(broker.port())) {
            for (String q : List.of("control", "source", "payload", "header", "timestamp", "producer", "offset", "queue")) {
                admin.createQueue(QueueSpec.named(q));
                for (int i = 0; i < 3; i++) {
                    admin.send(q, Message.builder().header("k", "v").payload(q + "-" + i).build());
                }
            }
        }
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private BrokerClient client(int port) throws Exception {
        return BrokerClient.builder().address("localhost", port).trustedCertificates(broker.caCert())
                .brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                .credentials("admin", broker.adminPassword().toCharArray()).connect();
    }

    @Test
    void shouldRefuseEveryMessageChangedAtRestBelowTheEncryption() throws Exception {
        broker.stop();
        StoreRewriter store = new StoreRewriter(dir.resolve("data"));
        store.change("payload", 1, e -> copy(e, e.brokerTimestampMillis(), e.producerPrincipal(), e.headers(),
                Bytes.utf8("payload-X")));
        store.change("header", 1, e -> copy(e, e.brokerTimestampMillis(), e.producerPrincipal(),
                Headers.builder().add("k", "w").build(), e.payload()));
        store.change("timestamp", 1, e -> copy(e, e.brokerTimestampMillis() - 86_400_000L, e.producerPrincipal(),
                e.headers(), e.payload()));
        store.change("producer", 1, e -> copy(e, e.brokerTimestampMillis(), "alice", e.headers(), e.payload()));
        Collections.swap(store.records("offset"), 1, 2);
        store.records("queue").set(1, store.records("source").get(1));
        store.write();
        broker.start();

        try (BrokerClient c = client(broker.port())) {
            assertAllVerify(c, "control");
            assertAllVerify(c, "source");
            for (String q : TAMPERED) {
                assertRefusedAtOffsetOne(c, q, 1);
            }
        }
    }

    @Test
    void shouldNotSignAChangedMessageAnewByDeadLetteringIt() throws Exception {
        try (BrokerClient admin = client(broker.port())) {
            admin.createQueue(QueueSpec.named("expiring").withDeadLetterQueue("expired"));
            admin.send("expiring", Message.of("kept as it was"));
            admin.send("expiring", Message.of("to be changed"));
        }
        broker.stop();
        StoreRewriter store = new StoreRewriter(dir.resolve("data"));
        // the expiry is not signed: moving it is how a message gets to the dead-letter queue
        store.change("expiring", 0, e -> expireNow(e, e.payload()));
        store.change("expiring", 1, e -> expireNow(e, Bytes.utf8("changed, then expired")));
        store.write();
        broker.start();

        try (BrokerClient c = client(broker.port())) {
            Subscription trigger = c.subscribe("expiring", "any", m -> m.ack());
            // the queue has settled both expired messages (a letter is counted once it is stored) before the
            // dead-letter queue is read: then what it holds is final
            Map<String, Long> decided = Awaitility.await("both expired messages dead-lettered or dropped")
                    .atMost(10, TimeUnit.SECONDS).until(() -> broker.broker().engine().counters(), counters ->
                            counters.getOrDefault("dead-lettered:expired", 0L)
                                    + counters.getOrDefault("dropped:signature-invalid", 0L) >= 2);
            Consumed letters = consume(c, "expired", decided.getOrDefault("dead-lettered:expired", 0L).intValue());
            assertThat(letters.subscription.failure()).as("every dead letter verifies").isEmpty();
            assertThat(letters.offsets).containsExactly(0L);
            trigger.close();
        }
        assertThat(broker.broker().engine().counters()).containsEntry("dropped:signature-invalid", 1L)
                .containsEntry("dead-lettered:expired", 1L);
        assertThat(AuditTrail.await(broker.broker().config().audit().dir(), "message.tampered", 1)).singleElement()
                .satisfies(e -> {
                    assertThat(e.resource()).isEqualTo("expiring");
                    assertThat(e.decision()).isEqualTo("deny");
                    assertThat(e.details()).containsEntry("offset", "1");
                    assertThat(e.reason()).contains("changed after it was stored");
                });
    }

    private static MessageEnvelope expireNow(MessageEnvelope e, Bytes payload) {
        return new MessageEnvelope(e.brokerTimestampMillis(), 1, e.producerPrincipal(), e.producerId(), e.sequence(),
                e.contentDigest(), e.headers(), payload, e.producerSignature(), e.brokerSeal());
    }

    @Test
    void shouldRefuseEveryMessageChangedInTransit() throws Exception {
        Map<String, UnaryOperator<DeliverFrame>> edits = Map.of(
                "payload", f -> deliver(f, f.queue(), f.offset(), f.brokerTimestampMillis(), f.producerPrincipal(),
                        f.headers(), Bytes.utf8("payload-X")),
                "header", f -> deliver(f, f.queue(), f.offset(), f.brokerTimestampMillis(), f.producerPrincipal(),
                        Headers.builder().add("k", "w").build(), f.payload()),
                "timestamp", f -> deliver(f, f.queue(), f.offset(), f.brokerTimestampMillis() + 1, f.producerPrincipal(),
                        f.headers(), f.payload()),
                "producer", f -> deliver(f, f.queue(), f.offset(), f.brokerTimestampMillis(), "alice", f.headers(),
                        f.payload()),
                "offset", f -> deliver(f, f.queue(), 7, f.brokerTimestampMillis(), f.producerPrincipal(), f.headers(),
                        f.payload()),
                "queue", f -> deliver(f, "control", f.offset(), f.brokerTimestampMillis(), f.producerPrincipal(),
                        f.headers(), f.payload()));
        UnaryOperator<Frame> rewrite = frame -> {
            if (frame instanceof DeliverFrame f && f.offset() == 1 && edits.containsKey(f.queue())) {
                return edits.get(f.queue()).apply(f);
            }
            return frame;
        };
        try (TamperingProxy proxy = new TamperingProxy(broker.port(), dir.resolve("data"), rewrite);
             BrokerClient c = client(proxy.port())) {
            assertAllVerify(c, "control");
            for (String q : TAMPERED) {
                assertRefusedAtOffsetOne(c, q, q.equals("offset") ? 7 : 1);
            }
        }
    }

    private static void assertAllVerify(BrokerClient c, String queue) throws Exception {
        Consumed consumed = consume(c, queue);
        assertThat(consumed.offsets).as(queue).containsExactly(0L, 1L, 2L);
        assertThat(consumed.subscription.failure()).as(queue).isEmpty();
        consumed.subscription.close();
    }

    /** Offset 0 reaches the application; the changed message (claiming {@code claimed}) is refused. */
    private static void assertRefusedAtOffsetOne(BrokerClient c, String queue, long claimed) throws Exception {
        Consumed consumed = consume(c, queue);
        assertThat(consumed.offsets).as(queue + ": only the untouched message reaches the application").containsExactly(0L);
        BrokerException failure = consumed.subscription.failure().orElseThrow(
                () -> new AssertionError(queue + ": the changed message was not refused"));
        assertThat(failure.is(ErrorCode.VERIFICATION_FAILED)).as(failure.getMessage()).isTrue();
        assertThat(failure.getMessage()).as(queue).contains("at offset " + claimed + " failed verification");
    }

    private record Consumed(Subscription subscription, List<Long> offsets) {
    }

    private static Consumed consume(BrokerClient c, String queue) throws Exception {
        return consume(c, queue, 3);
    }

    /** Consumes until {@code expected} messages reached the application or one was refused. */
    private static Consumed consume(BrokerClient c, String queue, int expected) throws Exception {
        List<Long> offsets = new CopyOnWriteArrayList<>();
        Subscription s = c.subscribe(queue, "check", m -> {
            offsets.add(m.offset());
            m.ack();
        });
        // Handlers and verification run one message at a time, in order, on the subscription's callback thread,
        // which stops before it reports a failure: once all arrived or one was refused, nothing more comes.
        Awaitility.await(queue + ": " + expected + " messages or a refusal").atMost(10, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(20)).until(() -> offsets.size() >= expected || s.failure().isPresent());
        return new Consumed(s, offsets);
    }

    private static MessageEnvelope copy(MessageEnvelope e, long timestamp, String principal, Headers headers,
                                        Bytes payload) {
        return new MessageEnvelope(timestamp, e.expiresAtMillis(), principal, e.producerId(), e.sequence(),
                e.contentDigest(), headers, payload, e.producerSignature(), e.brokerSeal());
    }

    private static DeliverFrame deliver(DeliverFrame f, String queue, long offset, long timestamp, String principal,
                                        Headers headers, Bytes payload) {
        return new DeliverFrame(f.consumerId(), queue, offset, f.deliveryCount(), timestamp, principal, f.producerId(),
                f.sequence(), headers, payload, f.producerSignature(), f.brokerSignature());
    }
}
