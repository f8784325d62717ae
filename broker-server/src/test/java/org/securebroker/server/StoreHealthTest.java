package org.securebroker.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.server.admin.Readiness;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.server.request.RequestException;
import org.securebroker.server.tls.LogCapture;
import org.securebroker.store.Store;
import org.securebroker.store.StoreConfig;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.FaultyFileLayer;

/**
 * A whole broker facing its store's troubles: an unavailable queue is logged once, audited,
 * counted and listed by {@code /readyz} while the broker stays ready; a full disk makes it unready
 * until space returns, is logged once per episode, and every publish it refuses is STORE_FULL.
 */
class StoreHealthTest {

    @TempDir
    Path dir;

    private Path data;

    @BeforeEach
    void init() throws Exception {
        data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
    }

    private BrokerConfig config() {
        BrokerConfig c = ConfigLoader.defaults(data);
        BrokerConfig.Listener l = c.listener();
        return c.withListener(l.withAddress("127.0.0.1", 0))
                .withAdmin(new BrokerConfig.Admin(false, "127.0.0.1", 0, false))
                .withQueues(withDefined(c.queues(), List.of(QueueDefinition.simple("orders"))));
    }

    private static BrokerConfig.Queues withDefined(BrokerConfig.Queues q, List<QueueDefinition> define) {
        return new BrokerConfig.Queues(q.autoCreate(), q.ackTimeout(), q.maxMessageBytes(), q.dedupWindow(), define);
    }

    private static double sample(Broker broker, String name) {
        for (String line : broker.metrics().scrape().lines().toList()) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no sample " + name);
    }

    private static ErrorCode refusal(QueueEngine engine, String queue) throws Exception {
        try {
            engine.publish(queue, "admin", List.of(PublishMessage.of(Bytes.utf8("m")))).get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            return ((RequestException) cause).code();
        }
    }

    @Test
    void shouldListAnUnavailableQueueInReadinessMetricsAuditAndTheLogOnceAndStayReady() throws Exception {
        BrokerConfig config = config();
        try (Store store = Store.open(StoreConfig.builder(config.storeDir(), Clock.systemUTC(), new SecureRandom())
                .build(), KeyringFile.load(config.keys().kekFile()))) {
            store.createLog("orphan"); // a log no definition names
        }
        Files.writeString(config.queueCatalog(), "{\"version\": 1, \"queues\": []}");

        try (LogCapture log = LogCapture.of(QueueEngine.class);
             Broker broker = Broker.start(config)) {
            assertThat(log.messages(Level.ERROR)).filteredOn(m -> m.contains("'orphan'")).hasSize(1);
            Readiness r = broker.readiness();
            assertThat(r.ready()).isTrue();
            assertThat(r.body()).startsWith("ready\n").contains("queue 'orphan' is unavailable");
            assertThat(sample(broker, "securebroker_queues_unavailable")).isEqualTo(1.0);
            assertThat(refusal(broker.engine(), "orphan")).isEqualTo(ErrorCode.QUEUE_UNAVAILABLE);
            assertThat(refusal(broker.engine(), "orders")).as("the other queues work").isNull();
        }
        try (Stream<AuditEntry> entries = AuditReader.entries(config.audit().dir(),
                AuditReader.Filter.ALL.withType("store.log_unavailable"))) {
            assertThat(entries.toList()).singleElement().satisfies(e -> {
                assertThat(e.resource()).isEqualTo("orphan");
                assertThat(e.reason()).contains("no definition");
            });
        }
    }

    @Test
    void shouldRefuseWithStoreFullWhileTheDiskIsFullAndCountIt() throws Exception {
        FaultyFileLayer disk = new FaultyFileLayer();
        try (Broker broker = Broker.start(config(), BrokerContext.system().withFiles(disk))) {
            assertThat(refusal(broker.engine(), "orders")).isNull();
            disk.diskFull.set(true);
            for (int i = 0; i < 5; i++) {
                assertThat(refusal(broker.engine(), "orders")).isEqualTo(ErrorCode.STORE_FULL);
            }
            assertThat(sample(broker, "securebroker_store_full_refusals_total")).isEqualTo(5.0);
            disk.diskFull.set(false);
            assertThat(refusal(broker.engine(), "orders")).isNull();
        }
    }

    /**
     * Needs the store's health ({@code Store.health()} DISK_FULL, {@code StoreListener.onHealth}):
     * the store side of the issue.
     */
    @Test
    void shouldBeUnreadyWhileTheDiskIsFullAndReadyAgainByItselfLoggingTheEpisodeOnce() throws Exception {
        FaultyFileLayer disk = new FaultyFileLayer();
        try (LogCapture log = LogCapture.of(Store.class);
             Broker broker = Broker.start(config(), BrokerContext.system().withFiles(disk))) {
            assertThat(broker.readiness().ready()).isTrue();
            disk.diskFull.set(true);
            for (int i = 0; i < 5; i++) {
                assertThat(refusal(broker.engine(), "orders")).isEqualTo(ErrorCode.STORE_FULL);
            }
            Readiness full = broker.readiness();
            assertThat(full.ready()).isFalse();
            assertThat(full.body()).startsWith("not ready:\n").contains("disk is full");
            assertThat(sample(broker, "securebroker_store_writable")).isZero();

            disk.diskFull.set(false);
            assertThat(refusal(broker.engine(), "orders")).isNull();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> broker.readiness().ready());
            assertThat(sample(broker, "securebroker_store_writable")).isEqualTo(1.0);
            assertThat(log.messages(Level.WARN)).filteredOn(m -> m.contains("disk holding the store is full")).hasSize(1);
            assertThat(log.messages(Level.INFO)).filteredOn(m -> m.contains("takes writes again")).hasSize(1);
        }
    }
}
