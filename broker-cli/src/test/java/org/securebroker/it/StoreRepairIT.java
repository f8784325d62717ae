package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.server.BrokerContext;
import org.securebroker.server.Offline;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.store.Store;

/**
 * {@code broker store repair} and the store findings of {@code broker check}, on the data
 * directory of a broker that ran: refused while the broker runs, a report without
 * {@code --accept-loss}, an audited repair with it, and a queue served again afterwards.
 */
class StoreRepairIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** 1 MiB segments, so a few hundred KiB of messages spread over several. */
    private static BrokerConfig smallSegments(BrokerConfig c) {
        BrokerConfig.StoreSettings s = c.store();
        return c.withStore(new BrokerConfig.StoreSettings(1 << 20, s.subscriptionSyncInterval(), s.retentionMaxAge(),
                s.retentionMaxBytes()));
    }

    private static void fill(TestBroker broker, String queue, int messages) throws Exception {
        broker.broker().engine().createQueue(QueueDefinition.simple(queue)).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < messages; i++) {
            broker.broker().engine().publish(queue, "admin", List.of(PublishMessage.of(Bytes.copyOf(new byte[100_000]))))
                    .get(10, TimeUnit.SECONDS);
        }
    }

    private static List<Path> segments(Path data, String queue) throws Exception {
        try (Stream<Path> files = Files.list(data.resolve("store/logs").resolve(queue))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
    }

    @Test
    void shouldRefuseWhileTheBrokerRunsAndFindNothingToRepairOnAHealthyQueue() throws Exception {
        Path data = dir.resolve("data");
        try (TestBroker broker = new TestBroker(data)) {
            fill(broker, "orders", 1);
            CliRun running = CliRun.of("", "store", "repair", "orders", "--data", data.toString());
            assertThat(running.exit()).isEqualTo(1);
            assertThat(running.err()).contains("stop it first");
        }
        CliRun healthy = CliRun.of("", "store", "repair", "orders", "--data", data.toString());
        assertThat(healthy.exit()).isZero();
        assertThat(healthy.out()).contains("queue 'orders' is available: nothing to repair");
        CliRun unknown = CliRun.of("", "store", "repair", "nosuch", "--data", data.toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.out()).contains("no queue named 'nosuch'");
        assertThat(CliRun.of("", "store", "repair", "bad name", "--data", data.toString()).exit()).isEqualTo(2);
    }

    @Test
    void shouldReportACatalogChangedOutsideTheBrokerAndALogWithoutADefinition() throws Exception {
        Path data = dir.resolve("data");
        try (TestBroker broker = new TestBroker(data)) {
            fill(broker, "orders", 1);
        }
        BrokerConfig config = TestBroker.config(data);
        try (Store store = Offline.store(config, BrokerContext.system(), System.getenv())) {
            store.createLog("stray");
        }
        JsonNode report = JSON.readTree(CliRun.of("", "check", "--data", data.toString(), "--output", "json").out());
        assertThat(ids(report, "high")).contains("queue-undefined");

        Path catalog = data.resolve("queues.json");
        Files.writeString(catalog, Files.readString(catalog).replace("\"maxDeliveries\" : 0", "\"maxDeliveries\" : 9"));
        CliRun check = CliRun.of("", "check", "--data", data.toString());
        assertThat(check.exit()).isEqualTo(1);
        assertThat(check.out()).contains("queue-catalog-invalid").contains("fails its authentication tag")
                .contains("restore queues.json from the backup");
    }

    private static List<String> ids(JsonNode report, String severity) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : report.get("findings")) {
            if (f.get("severity").asText().equals(severity)) {
                out.add(f.get("id").asText());
            }
        }
        return out;
    }

    /**
     * Needs the store to report the log unavailable and to repair it ({@code Store.unavailableLogs},
     * {@code Store.repairLog}): the store side of the authenticated log.
     */
    @Test
    void shouldShowTheLossThenAcceptItAuditItAndServeTheQueueAgain() throws Exception {
        Path data = dir.resolve("data");
        try (TestBroker broker = new TestBroker(data, StoreRepairIT::smallSegments)) {
            fill(broker, "orders", 30);
            fill(broker, "other", 1);
        }
        List<Path> segments = segments(data, "orders");
        assertThat(segments).hasSizeGreaterThan(2);
        Files.delete(segments.get(1));

        CliRun check = CliRun.of("", "check", "--data", data.toString(), "--output", "json");
        assertThat(check.exit()).isEqualTo(1);
        assertThat(ids(JSON.readTree(check.out()), "high")).contains("queue-unavailable");

        CliRun shown = CliRun.of("", "store", "repair", "orders", "--data", data.toString());
        assertThat(shown.exit()).as(shown.err()).isEqualTo(1);
        assertThat(shown.out()).contains("queue 'orders' is unavailable").contains(segments.get(1).getFileName()
                .toString()).contains("--accept-loss").contains("Nothing was changed");

        CliRun repaired = CliRun.of("", "store", "repair", "orders", "--accept-loss", "--data", data.toString(),
                "--output", "json");
        assertThat(repaired.exit()).as(repaired.err()).isZero();
        JsonNode result = JSON.readTree(repaired.out());
        assertThat(result.get("repaired").asBoolean()).isTrue();
        assertThat(result.get("lost")).isNotEmpty();
        long next = Long.parseLong(result.get("nextOffset").asText());
        assertThat(next).isGreaterThanOrEqualTo(30);

        try (Stream<AuditEntry> entries = AuditReader.entries(data.resolve("audit"),
                AuditReader.Filter.ALL.withType("store.repair_accept_loss"))) {
            assertThat(entries.toList()).singleElement().satisfies(e -> {
                assertThat(e.resource()).isEqualTo("orders");
                assertThat(e.principal()).isEqualTo(ProcessHandle.current().info().user().orElse("unknown"));
                assertThat(e.details()).containsKeys("lost", "lostOffsets", "nextOffset");
                assertThat(e.reason()).isNotBlank();
            });
        }
        assertThat(CliRun.of("", "audit", "verify", data.resolve("audit").toString(), "--key",
                data.resolve("tls/audit.pub").toString()).exit()).isZero();

        try (TestBroker broker = new TestBroker(data, StoreRepairIT::smallSegments)) {
            assertThat(broker.broker().engine().unavailableQueues()).isEmpty();
            long offset = broker.broker().engine().publish("orders", "admin", List.of(PublishMessage.of(
                    Bytes.utf8("after the repair")))).get(10, TimeUnit.SECONDS).get(0).offset();
            assertThat(offset).as("never an offset handed out before").isGreaterThanOrEqualTo(next);
        }
    }
}
