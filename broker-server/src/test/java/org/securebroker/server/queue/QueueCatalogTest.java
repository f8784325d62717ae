package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;

/**
 * The queue catalog: authenticated to the byte, strictly read, bound to the store's generation
 * anchor, never silently replaced by defaults.
 */
class QueueCatalogTest {

    @TempDir
    Path dir;

    private final Keyring keyring = TestStores.keyring();
    private Store store;
    private Path file;

    @BeforeEach
    void open() {
        store = Store.open(TestStores.config(dir.resolve("store")).build(), keyring);
        file = dir.resolve("queues.json");
    }

    @AfterEach
    void close() {
        store.close();
    }

    private QueueEngine start(QueueDefinition... configured) throws Exception {
        return QueueEngine.start(store, file, EngineSettings.DEFAULTS, Clock.systemUTC(), List.of(configured), false);
    }

    /** Two queues, one with a dead-letter queue: three entries in the file. */
    private void writeCatalog() throws Exception {
        try (QueueEngine engine = start(new QueueDefinition("orders", 5, "orders.dlq", Duration.ofMinutes(1)),
                QueueDefinition.simple("audit"))) {
            assertThat(engine.exists("orders.dlq")).isTrue();
        }
    }

    private QueueCatalog.Contents read() throws Exception {
        return QueueCatalog.read(file, kek -> store.metadataMac(QueueCatalog.PURPOSE, kek));
    }

    /** A version-2 file with {@code body} and a valid tag: what only someone with the KEK could write. */
    private void writeTagged(String body) throws Exception {
        MetadataMac mac = store.metadataMac(QueueCatalog.PURPOSE);
        Mac hmac = mac.newMac();
        hmac.update((QueueCatalog.MAGIC + mac.kekId() + "\n").getBytes(StandardCharsets.US_ASCII));
        hmac.update(body.getBytes(StandardCharsets.UTF_8));
        Files.writeString(file, QueueCatalog.MAGIC + mac.kekId() + " " + HexFormat.of().formatHex(hmac.doFinal()) + "\n"
                + body);
    }

    @Test
    void shouldWriteAnAuthenticatedVersionTwoCatalogAndReadItBack() throws Exception {
        writeCatalog();
        String text = Files.readString(file);
        assertThat(text).startsWith("securebroker-queue-catalog 2 kek-test ");
        QueueCatalog.Contents c = read();
        assertThat(c.version()).isEqualTo(2);
        assertThat(c.kekId()).isEqualTo("kek-test");
        assertThat(c.queues()).extracting(QueueDefinition::name).containsExactly("orders.dlq", "orders", "audit");
        assertThat(c.queues().get(1)).isEqualTo(new QueueDefinition("orders", 5, "orders.dlq", Duration.ofMinutes(1)));
        assertThat(store.anchor(QueueCatalog.ANCHOR)).hasValue(c.generation());

        try (QueueEngine again = start()) {
            assertThat(again.definition("orders")).contains(c.queues().get(1));
        }
    }

    @Test
    void shouldDetectEveryOneBitChangeAnywhereInTheFile() throws Exception {
        writeCatalog();
        byte[] original = Files.readAllBytes(file);
        MetadataMac mac = store.metadataMac(QueueCatalog.PURPOSE);
        java.util.function.Function<String, java.util.Optional<MetadataMac>> keys =
                kek -> kek.equals(mac.kekId()) ? java.util.Optional.of(mac) : java.util.Optional.empty();
        for (int i = 0; i < original.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] changed = original.clone();
                changed[i] ^= (byte) (1 << bit);
                Files.write(file, changed);
                int at = i;
                int flipped = bit;
                assertThatThrownBy(() -> QueueCatalog.read(file, keys))
                        .as("bit %d of byte %d ('%c')", flipped, at, (char) original[at])
                        .isInstanceOf(QueueCatalog.CatalogException.class)
                        .hasMessageContaining(file.toString());
            }
        }
        Files.write(file, original);
        assertThat(read().queues()).hasSize(3);
    }

    @Test
    void shouldRefuseToStartWithAChangedCatalogNamingTheFileAndTheFix() throws Exception {
        writeCatalog();
        Files.writeString(file, Files.readString(file).replace("\"maxDeliveries\" : 5", "\"maxDeliveries\" : 50"));
        assertThatThrownBy(this::start).isInstanceOf(QueueCatalog.CatalogException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("fails its authentication tag")
                .hasMessageContaining("Restore queues.json from the backup");
    }

    @Test
    void shouldRefuseUnknownKeysAndInvalidValuesEvenUnderAValidTag() throws Exception {
        writeCatalog();
        long g = read().generation();
        String queue = "{\"name\":\"q\",\"maxDeliveries\":0,\"deadLetterQueue\":\"\",\"defaultTtlMillis\":0,"
                + "\"requireProducerSignatures\":false}";
        List<String> bodies = List.of(
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue + "],\"deleting\":[],\"extra\":1}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace("\"name\"", "\"nam\"") + "],"
                        + "\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace("0,\"dead", "-1,\"dead") + "],"
                        + "\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace("false", "\"no\"") + "],"
                        + "\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace(",\"requireProducerSignatures\":false",
                        "") + "],\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue + "," + queue + "],\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"generation\":" + g + ",\"queues\":[],\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[],\"deleting\":[]} {}",
                "{\"version\":3,\"generation\":" + g + ",\"queues\":[],\"deleting\":[]}",
                "{\"version\":2,\"generation\":0,\"queues\":[],\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[],\"deleting\":[\"not a name\"]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace("\"\",", "\"q\",") + "],"
                        + "\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace("false}",
                        "false,\"depth\":{\"maxMessages\":-1,\"maxBytes\":0,\"overflow\":\"REJECT\"}}") + "],\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace("false}",
                        "false,\"depth\":{\"maxMessages\":1,\"maxBytes\":0,\"overflow\":\"DROP\"}}") + "],\"deleting\":[]}",
                "{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue.replace("false}",
                        "false,\"depth\":{\"maxMessages\":1,\"overflow\":\"REJECT\"}}") + "],\"deleting\":[]}");
        for (String body : bodies) {
            writeTagged(body);
            assertThatThrownBy(this::read).as(body).isInstanceOf(QueueCatalog.CatalogException.class);
        }
        writeTagged("{\"version\":2,\"generation\":" + g + ",\"queues\":[" + queue + "],\"deleting\":[]}");
        assertThat(read().queues()).containsExactly(QueueDefinition.simple("q"));
    }

    @Test
    void shouldKeepAQueuesOwnDepthAndNotRewriteItAtEveryStart() throws Exception {
        QueueDefinition small = new QueueDefinition("small", 0, "", Duration.ZERO, false,
                new QueueDefinition.Depth(10, 4096, QueueDefinition.Overflow.DEAD_LETTER_OLDEST));
        try (QueueEngine engine = start(small)) {
            assertThat(engine.definition("small")).hasValue(small);
        }
        assertThat(read().queues()).containsExactly(small);
        long generation = read().generation();
        try (QueueEngine engine = start(small)) {
            assertThat(engine.definition("small")).hasValue(small);
        }
        assertThat(read().generation()).as("an unchanged definition is not written again").isEqualTo(generation);
    }

    @Test
    void shouldRefuseACatalogUnderAKekTheKeyFileLacks() throws Exception {
        writeCatalog();
        Files.writeString(file, Files.readString(file).replaceFirst("kek-test", "kek-gone"));
        assertThatThrownBy(this::start).isInstanceOf(QueueCatalog.CatalogException.class)
                .hasMessageContaining("KEK 'kek-gone', which the key file does not hold");
    }

    @Test
    void shouldRefuseAnOlderCopyOfTheCatalog() throws Exception {
        writeCatalog();
        byte[] older = Files.readAllBytes(file);
        try (QueueEngine engine = start()) {
            engine.createQueue(QueueDefinition.simple("later")).join();
        }
        Files.write(file, older);
        assertThatThrownBy(this::start).isInstanceOf(QueueCatalog.CatalogException.class)
                .hasMessageContaining("rolled back")
                .hasMessageContaining("older than generation");
    }

    /** Needs the store to keep anchors in its state file (the store side of the authenticated log). */
    @Test
    void shouldRefuseAnOlderCopyOfTheCatalogAfterTheStoreWasReopened() throws Exception {
        writeCatalog();
        byte[] older = Files.readAllBytes(file);
        try (QueueEngine engine = start()) {
            engine.createQueue(QueueDefinition.simple("later")).join();
        }
        store.close();
        store = Store.open(TestStores.config(dir.resolve("store")).build(), keyring);
        Files.write(file, older);
        assertThatThrownBy(this::start).isInstanceOf(QueueCatalog.CatalogException.class)
                .hasMessageContaining("rolled back");
    }

    @Test
    void shouldAcceptAFileOneGenerationAheadOfItsAnchor() throws Exception {
        writeCatalog();
        long g = read().generation();
        store.setAnchor(QueueCatalog.ANCHOR, g - 1); // as if a crash came between the file and the anchor
        try (QueueEngine engine = start()) {
            assertThat(engine.exists("orders")).isTrue();
        }
        assertThat(store.anchor(QueueCatalog.ANCHOR)).hasValue(g);
    }

    @Test
    void shouldRefuseAMissingCatalogWhileTheStoreHoldsLogs() throws Exception {
        store.createLog("orders");
        store.createLog("audit");
        assertThat(Files.exists(file)).isFalse();
        assertThatThrownBy(this::start).isInstanceOf(QueueCatalog.CatalogException.class)
                .hasMessageContaining("is missing, but the store holds the logs of 2 queue(s) [audit, orders]")
                .hasMessageContaining("Restore queues.json");
    }

    @Test
    void shouldRefuseADeletedCatalog() throws Exception {
        writeCatalog();
        Files.delete(file);
        assertThatThrownBy(this::start).isInstanceOf(QueueCatalog.CatalogException.class)
                .hasMessageContaining("is missing");
    }

    @Test
    void shouldRefuseAMissingCatalogOnceItsGenerationWasAnchored() throws Exception {
        try (QueueEngine engine = start(QueueDefinition.simple("q"))) {
            engine.deleteQueue("q").join();
        }
        assertThat(store.logNames()).isEmpty();
        Files.delete(file);
        assertThatThrownBy(this::start).isInstanceOf(QueueCatalog.CatalogException.class)
                .hasMessageContaining("is missing, but the store recorded that generation");
    }

    @Test
    void shouldStartWithAnEmptyCatalogOnlyOnAFreshStore() throws Exception {
        try (QueueEngine engine = start()) {
            assertThat(engine.listQueues()).isEmpty();
        }
        assertThat(Files.exists(file)).as("nothing to write yet").isFalse();
    }

    @Test
    void shouldAcceptAVersionOneCatalogOnceAndRewriteItAsVersionTwo() throws Exception {
        store.createLog("orders");
        Files.writeString(file, "{\"version\": 1, \"queues\": [{\"name\": \"orders\", \"maxDeliveries\": 3, "
                + "\"deadLetterQueue\": \"\", \"defaultTtlMillis\": 0}]}");
        try (QueueEngine engine = start()) {
            assertThat(engine.definition("orders")).contains(new QueueDefinition("orders", 3, "", Duration.ZERO));
        }
        assertThat(Files.readString(file)).startsWith(QueueCatalog.MAGIC);
        assertThat(read().queues()).containsExactly(new QueueDefinition("orders", 3, "", Duration.ZERO));

        Files.writeString(file, "{\"version\": 1, \"queues\": []}");
        assertThatThrownBy(this::start).as("once version 2 was written, a version-1 file is an old copy")
                .isInstanceOf(QueueCatalog.CatalogException.class).hasMessageContaining("is a version-1 file");
    }

    @Test
    void shouldRewriteTheCatalogUnderTheCurrentKek() throws Exception {
        writeCatalog();
        List<org.securebroker.store.crypto.Kek> keys = new java.util.ArrayList<>(keyring.keys());
        keys.add(TestStores.randomKek("kek-next"));
        Keyring rotated = Keyring.of(keys, "kek-next");
        store.updateKeyring(rotated);
        try (QueueEngine engine = start()) {
            assertThat(read().kekId()).as("rewritten at start").isEqualTo("kek-next");
            engine.resealCatalog().join();
        }
        assertThat(read().kekId()).isEqualTo("kek-next");
        assertThat(read().queues()).hasSize(3);
        assertThat(store.anchor(QueueCatalog.ANCHOR)).hasValue(read().generation());
    }
}
