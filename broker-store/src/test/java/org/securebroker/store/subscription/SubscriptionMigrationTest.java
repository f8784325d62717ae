package org.securebroker.store.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.subscription.SubscriptionTestFiles.A;
import static org.securebroker.store.subscription.SubscriptionTestFiles.concat;
import static org.securebroker.store.subscription.SubscriptionTestFiles.copyDirectory;
import static org.securebroker.store.subscription.SubscriptionTestFiles.entryV1;
import static org.securebroker.store.subscription.SubscriptionTestFiles.journal;
import static org.securebroker.store.subscription.SubscriptionTestFiles.open;
import static org.securebroker.store.subscription.SubscriptionTestFiles.restore;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshot;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshotGeneration;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshotKekId;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshotV1;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.failure.StoreException;
import org.slf4j.LoggerFactory;

/** Version-1 files, accepted once when the store has no checkpoint yet, and rewritten as version 2 at once. */
class SubscriptionMigrationTest {

    @TempDir
    Path dir;

    private final Logger recoveryLog = (Logger) LoggerFactory.getLogger(SubscriptionRecovery.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private Level level;

    @BeforeEach
    void captureLog() {
        level = recoveryLog.getLevel();
        recoveryLog.setLevel(Level.INFO);
        logged.start();
        recoveryLog.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        recoveryLog.detachAppender(logged);
        recoveryLog.setLevel(level);
    }

    private List<String> infoLines() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.INFO).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    /** Generation 3: "s" committed to 5 with [7, 9) acked, then a journal that acks 5 and creates "t". */
    private void writeVersion1() throws IOException {
        Files.write(snapshot(dir), snapshotV1(3, "q", "s", 5, 7, 9));
        Files.write(journal(dir, 3), concat(entryV1(2, "q", "s", 5, 6), entryV1(1, "q", "t", 20, 0),
                entryV1(2, "q", "t", 20, 22)));
    }

    private static void assertVersion1State(SubscriptionStore store) {
        Subscriptions subs = store.forLog("q");
        assertThat(subs.get("s").orElseThrow().committed()).isEqualTo(6);
        assertThat(subs.isAcked("s", 6)).isFalse();
        assertThat(subs.isAcked("s", 8)).isTrue();
        assertThat(subs.get("t").orElseThrow().committed()).isEqualTo(22);
    }

    @Test
    void shouldMigrateAVersion1SnapshotAndJournalWhenThereIsNoCheckpoint() throws IOException {
        writeVersion1();
        SubscriptionCheckpoint checkpoint;
        try (SubscriptionStore store = open(dir, A, null)) {
            assertVersion1State(store);
            checkpoint = store.durableCheckpoint();
        }
        assertThat(checkpoint).isEqualTo(new SubscriptionCheckpoint(4, 0));
        assertThat(Files.readAllBytes(snapshot(dir))[4]).as("snapshot version").isEqualTo((byte) 2);
        assertThat(snapshotGeneration(dir)).isEqualTo(4);
        assertThat(snapshotKekId(dir)).isEqualTo("kek-a");
        assertThat(journal(dir, 3)).doesNotExist();
        assertThat(Files.readAllBytes(journal(dir, 4))).startsWith("BSUJ".getBytes(StandardCharsets.US_ASCII));
        assertThat(infoLines()).anySatisfy(line -> assertThat(line).contains("migrated from format version 1 to "
                + "version 2").contains(dir.toString()));

        try (SubscriptionStore store = open(dir, A, checkpoint)) {
            assertVersion1State(store);
        }
    }

    @Test
    void shouldMigrateAVersion1JournalWithoutSnapshotAndReportItsTornTail() throws IOException {
        byte[] torn = entryV1(2, "q", "s", 3, 4);
        Files.createDirectories(dir);
        Files.write(journal(dir, 0), concat(entryV1(1, "q", "s", 0, 0), entryV1(2, "q", "s", 0, 3),
                Arrays.copyOf(torn, 20)));
        try (SubscriptionStore store = open(dir, A, null)) {
            assertThat(store.truncatedBytes()).isEqualTo(20);
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(1, 0));
            assertThat(store.forLog("q").get("s").orElseThrow().committed()).isEqualTo(3);
        }
        assertThat(journal(dir, 0)).doesNotExist();
        assertThat(infoLines()).anySatisfy(line -> assertThat(line).contains("migrated from format version 1"));
    }

    @Test
    void shouldStartANewStoreAtGenerationOneWithoutCallingItAMigration() throws IOException {
        try (SubscriptionStore store = open(dir, A, null)) {
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(1, 0));
            assertThat(store.logNames()).isEmpty();
        }
        assertThat(snapshotGeneration(dir)).isEqualTo(1);
        assertThat(journal(dir, 1)).exists();
        assertThat(infoLines()).noneSatisfy(line -> assertThat(line).contains("migrated"));
    }

    @Test
    void shouldRefuseTheVersion1FilesOnceACheckpointWasRecorded() throws IOException {
        writeVersion1();
        Path backup = dir.resolveSibling("version-1");
        copyDirectory(dir, backup);
        SubscriptionCheckpoint checkpoint;
        try (SubscriptionStore store = open(dir, A, null)) {
            checkpoint = store.durableCheckpoint();
        }
        restore(backup, dir);
        assertThatThrownBy(() -> open(dir, A, checkpoint).close()).isInstanceOfSatisfying(StoreException.class, e -> {
            assertThat(e.kind()).isEqualTo(StoreException.Kind.CORRUPTED_METADATA);
            assertThat(e.getMessage()).contains("format version 1").contains(snapshot(dir).toString())
                    .contains("restore the subscriptions/ directory from backup");
        });
    }

    @Test
    void shouldRefuseADamagedVersion1Snapshot() throws IOException {
        writeVersion1();
        SubscriptionTestFiles.flipBit(snapshot(dir), 20, 2);
        assertThatThrownBy(() -> open(dir, A, null).close()).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.getMessage()).contains("fails its checksum"));
    }
}
