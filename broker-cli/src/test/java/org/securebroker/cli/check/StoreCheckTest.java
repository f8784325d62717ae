package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.BrokerContext;
import org.securebroker.server.Offline;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.queue.EngineSettings;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.store.Store;

class StoreCheckTest {

    @TempDir
    Path tmp;

    private BrokerConfig config;
    private final StoreCheck check = new StoreCheck(BrokerContext.system());

    @BeforeEach
    void init() throws Exception {
        config = CheckFixture.config(CheckFixture.init(tmp));
    }

    private Store store() {
        return Offline.store(config, BrokerContext.system(), System.getenv());
    }

    /** What a broker leaves behind: a store with these queues and their authenticated catalog. */
    private void queues(String... names) throws Exception {
        try (Store store = store();
             QueueEngine engine = QueueEngine.start(store, config.queueCatalog(), EngineSettings.DEFAULTS,
                     java.time.Clock.systemUTC(), java.util.Arrays.stream(names).map(QueueDefinition::simple).toList(),
                     false)) {
            assertThat(engine.listQueues()).hasSize(names.length);
        }
    }

    private List<Finding> run() throws Exception {
        return check.run(CheckFixture.context(config));
    }

    @Test
    void shouldFindNothingBeforeTheFirstStartOrOnAHealthyStore() throws Exception {
        assertThat(run()).isEmpty();
        queues("orders", "audit");
        assertThat(run()).isEmpty();
    }

    @Test
    void shouldFindACatalogChangedOutsideTheBroker() throws Exception {
        queues("orders");
        Path file = config.queueCatalog();
        Files.writeString(file, Files.readString(file).replace("orders", "ordery"));
        assertThat(CheckFixture.withId(run(), "queue-catalog-invalid")).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.finding()).contains("fails its authentication tag");
            assertThat(f.fix()).contains("restore queues.json from the backup");
        });
    }

    @Test
    void shouldFindAMissingCatalogOverExistingQueuesAndALogWithoutADefinition() throws Exception {
        queues("orders");
        try (Store store = store()) {
            store.createLog("stray");
        }
        assertThat(CheckFixture.withId(run(), "queue-undefined")).singleElement()
                .satisfies(f -> assertThat(f.subject()).isEqualTo("stray"));
        Files.delete(config.queueCatalog());
        assertThat(CheckFixture.withId(run(), "queue-catalog-missing")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.HIGH));
    }

    @Test
    void shouldCheckOnlyTheCatalogWhileTheBrokerHoldsTheStore() throws Exception {
        queues("orders");
        try (Store running = store()) {
            assertThat(running.logNames()).containsExactly("orders");
            List<Finding> findings = run();
            assertThat(findings).extracting(Finding::id).containsExactly("store-not-checked");
            assertThat(findings.get(0).severity()).isEqualTo(Severity.INFO);
            assertThat(findings.get(0).finding()).contains("stop it first");

            Path file = config.queueCatalog();
            Files.writeString(file, Files.readString(file).replace("orders", "ordery"));
            assertThat(run()).extracting(Finding::id).containsExactly("queue-catalog-invalid", "store-not-checked");
        }
    }
}
