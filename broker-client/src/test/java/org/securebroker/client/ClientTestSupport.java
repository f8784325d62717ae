package org.securebroker.client;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.fake.FakeBroker;
import org.securebroker.client.fake.TestPki;

/**
 * Shared set-up: one test CA and a server certificate for localhost/127.0.0.1, a fresh fake
 * broker per test, and clients that are closed after each test.
 */
abstract class ClientTestSupport {

    static final TestPki PKI = TestPki.create("Test CA");
    static final TestPki.ServerIdentity SERVER = PKI.issueServer("localhost", "127.0.0.1");
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path tempDir;
    static Path caPem;

    FakeBroker broker;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void writeCa() {
        caPem = PKI.writeCaPem(tempDir);
    }

    @BeforeEach
    void startBroker() {
        broker = FakeBroker.start(SERVER);
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        broker.close();
    }

    /** A builder for the fake broker with short timeouts, fast reconnects and alice's password. */
    BrokerClientBuilder builder() {
        return builderWithoutCredentials().credentials("alice", "s3cret".toCharArray());
    }

    /** A builder for the fake broker with short timeouts and fast reconnects, but no credentials. */
    BrokerClientBuilder builderWithoutCredentials() {
        return baseBuilder().brokerSigningKeys(broker.signingKeys());
    }

    /** {@link #builder()} that accepts deliveries and receipts unverified (for hand-made frames). */
    BrokerClientBuilder unverifiedBuilder() {
        return baseBuilder().withoutSignatureVerification().credentials("alice", "s3cret".toCharArray());
    }

    private BrokerClientBuilder baseBuilder() {
        return BrokerClient.builder()
                .address("127.0.0.1", broker.port())
                .trustedCertificates(caPem)
                .clientId("client-tests")
                .connectTimeout(Duration.ofSeconds(5))
                .requestTimeout(Duration.ofSeconds(5))
                .reconnect(ReconnectPolicy.exponentialBackoff(Duration.ofMillis(10), Duration.ofMillis(50)));
    }

    BrokerClient connect(BrokerClientBuilder builder) {
        BrokerClient client = builder.connect();
        toClose.add(client);
        return client;
    }

    BrokerClient connect() {
        return connect(builder());
    }

    <T extends AutoCloseable> T closeLater(T closeable) {
        toClose.add(0, closeable);
        return closeable;
    }

    static void eventually(Callable<Boolean> condition) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(condition);
    }
}
