package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerException;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.SendReceipt;
import org.securebroker.client.SubscribeOptions;
import org.securebroker.client.Subscription;
import org.securebroker.protocol.ErrorCode;

/** The Java client against the real broker over TLS. */
class ClientIT {

    @TempDir
    Path dir;

    private TestBroker broker;
    private final List<BrokerClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"));
    }

    @AfterEach
    void stop() {
        clients.forEach(BrokerClient::close);
        broker.close();
    }

    private BrokerClient client(int port) throws Exception {
        BrokerClient c = BrokerClient.builder()
                .address("localhost", port)
                .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys())
                .credentials("admin", broker.adminPassword().toCharArray())
                .requestTimeout(Duration.ofSeconds(30))
                .connect();
        clients.add(c);
        return c;
    }

    @Test
    void shouldSendAndReceiveWithAcknowledgements() throws Exception {
        BrokerClient c = client(broker.port());
        c.createQueue(QueueSpec.named("orders"));
        SendReceipt receipt = c.send("orders", Message.builder().payload("hello").header("kind", "greeting").build());
        assertThat(receipt.offset()).isZero();
        List<CompletableFuture<SendReceipt>> async = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            async.add(c.sendAsync("orders", Message.of("m-" + i)));
        }
        CompletableFuture.allOf(async.toArray(CompletableFuture[]::new)).join();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        try (Subscription s = c.subscribe("orders", "billing", SubscribeOptions.builder().prefetch(50).build(), m -> {
            threads.add(Thread.currentThread().getName());
            seen.add(m.payloadUtf8());
            assertThat(m.producerPrincipal()).isEqualTo("admin");
            m.ack();
        })) {
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> seen.size() == 501);
        }
        assertThat(seen).contains("hello", "m-0", "m-499");
        assertThat(threads).noneMatch(t -> t.contains("io") || t.contains("nioEventLoop"));
        assertThat(c.listQueues()).singleElement().satisfies(q -> assertThat(q.messages()).isZero());
    }

    @Test
    void shouldTakeAOneMebibytePayloadWithHeadersAndRefuseOneByteMore() throws Exception {
        BrokerClient c = client(broker.port());
        c.createQueue(QueueSpec.named("large"));
        byte[] mebibyte = new byte[1 << 20];
        mebibyte[mebibyte.length - 1] = 42;
        SendReceipt stored = c.send("large", Message.builder().payload(mebibyte).header("kind", "bulk")
                .header("trace", "x".repeat(1000)).build());
        assertThat(stored.offset()).isZero();

        assertThatThrownBy(() -> c.send("large", Message.of(new byte[(1 << 20) + 1])))
                .isInstanceOf(BrokerException.class)
                .satisfies(e -> assertThat(((BrokerException) e).is(ErrorCode.MESSAGE_TOO_LARGE)).isTrue());

        List<byte[]> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Subscription s = c.subscribe("large", "reader", m -> {
            received.add(m.payload());
            m.ack();
        })) {
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> received.size() == 1);
        }
        assertThat(received.get(0)).isEqualTo(mebibyte);
    }

    @Test
    void shouldReportBrokerErrorsWithTheirCode() throws Exception {
        BrokerClient c = client(broker.port());
        assertThatThrownBy(() -> c.send("missing", Message.of("x")))
                .isInstanceOf(BrokerException.class)
                .satisfies(e -> {
                    assertThat(((BrokerException) e).is(ErrorCode.QUEUE_NOT_FOUND)).isTrue();
                    assertThat(((BrokerException) e).retriable()).isFalse();
                });
        assertThatThrownBy(() -> BrokerClient.builder().address("localhost", broker.port())
                .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).credentials("admin", "wrong-password!".toCharArray()).connect())
                .isInstanceOf(BrokerException.class)
                .satisfies(e -> assertThat(((BrokerException) e).is(ErrorCode.AUTHENTICATION_FAILED)).isTrue());
    }

    @Test
    void shouldReconnectResendAndResubscribeAcrossABrokerRestart() throws Exception {
        BrokerClient c = client(broker.port());
        c.createQueue(QueueSpec.named("q"));
        Set<String> received = ConcurrentHashMap.newKeySet();
        c.subscribe("q", "s", SubscribeOptions.builder().prefetch(100).build(), m -> {
            received.add(m.payloadUtf8());
            m.ack();
        });
        List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sends.add(c.sendAsync("q", Message.of("before-" + i)));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> received.size() == 200);
        // the broker has taken every acknowledgement before it stops: what comes after the restart is new
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> c.listQueues().get(0).messages() == 0);
        int port = broker.port();
        broker.stop();
        // sends made while the broker is down are held and sent after the reconnect
        List<CompletableFuture<SendReceipt>> later = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            later.add(c.sendAsync("q", Message.of("during-" + i)));
        }
        broker = restartOnSamePort(port);
        CompletableFuture.allOf(later.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> received.size() == 250);
        assertThat(received).contains("during-0", "during-49");
    }

    private TestBroker restartOnSamePort(int port) throws Exception {
        return new TestBroker(dir.resolve("data"), c -> c.withListener(c.listener().withAddress("127.0.0.1", port)));
    }
}
