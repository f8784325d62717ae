package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.text;
import static org.securebroker.store.TestStores.utf8;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.RecordCorruptedException;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.segment.Segment;

/**
 * Whole-file damage to a stopped store: every mutant must be refused (the log is unavailable,
 * naming what is wrong, while the other logs keep working) or served with nothing altered and
 * nothing acknowledged missing without a report; after an operator's repair, what was lost is
 * reported and no offset is handed out twice.
 */
class LogIntegrityTest {

    private static final int SEGMENT_BYTES = 4096;
    private static final int RECORDS = 200;
    private static final int SNAPSHOT_AT = 70;
    private static final String PAD = "x".repeat(40);

    @TempDir
    Path dir;

    private final Keyring keyring = TestStores.keyring();
    /** What was acknowledged in log "q": offset to payload. */
    private final Map<Long, String> acked = new TreeMap<>();

    enum Mutation {
        DELETE_FIRST_SEGMENT,
        DELETE_MIDDLE_SEGMENT,
        DELETE_LAST_SEGMENT,
        ROLL_SEGMENT_BACK_TO_AN_OLDER_COPY,
        TRUNCATE_FINISHED_SEGMENT_AT_A_RECORD_BOUNDARY,
        TRUNCATE_LAST_SEGMENT_MID_RECORD_AFTER_A_CLEAN_STOP,
        APPEND_GARBAGE_TO_A_FINISHED_SEGMENT,
        DELETE_THE_MANIFEST,
        FLIP_A_BIT_IN_THE_MANIFEST,
        ROLL_THE_MANIFEST_BACK_TO_AN_OLDER_COPY,
        DELETE_THE_LOG_DIRECTORY,
        DELETE_THE_LOG_METADATA,
        COPY_IN_A_SEGMENT_FROM_ANOTHER_LOG,
        DELETE_LAST_SEGMENT_AFTER_A_CRASH,
        TRUNCATE_LAST_SEGMENT_BELOW_THE_CHECKPOINT_AFTER_A_CRASH
    }

    private StoreConfig.Builder cfg(Path d) {
        return config(d).segmentBytes(SEGMENT_BYTES).checkpointInterval(Duration.ofMinutes(1));
    }

    /**
     * Writes log "q" (and "other"), keeping a copy of the whole store taken after
     * {@link #SNAPSHOT_AT} records; either stops cleanly or leaves an image of the running store
     * (a crash) after a checkpoint.
     */
    private Path write(boolean crash) throws IOException {
        Path live = dir.resolve("live");
        Path older = dir.resolve("older");
        Path image = dir.resolve("image");
        Store store = Store.open(cfg(live).build(), keyring);
        try {
            Log q = store.createLog("q");
            TestStores.appendAll(store.createLog("other"), "o", 10);
            for (int i = 0; i < RECORDS; i++) {
                String payload = "m-" + i + "-" + PAD;
                long offset = q.append(utf8(payload)).join().firstOffset();
                acked.put(offset, payload);
                if (i == SNAPSHOT_AT) {
                    store.checkpoint();
                    SegmentFiles.copyTree(live, older);
                }
            }
            if (crash) {
                store.checkpoint();
                SegmentFiles.copyTree(live, image);
                return image;
            }
        } finally {
            store.close();
        }
        return live;
    }

    private List<Path> segments(Path store) throws IOException {
        return TestStores.segmentFiles(store, "q");
    }

    private Path manifest(Path store) throws IOException {
        byte[] meta = Files.readAllBytes(store.resolve("logs/q/log.meta"));
        return store.resolve("keys").resolve(java.util.HexFormat.of().formatHex(meta, 8, 24) + ".dek");
    }

    private void apply(Mutation m, Path store) throws IOException {
        List<Path> segs = segments(store);
        assertThat(segs.size()).as("the log spans several segments").isGreaterThan(3);
        Path older = dir.resolve("older");
        switch (m) {
            case DELETE_FIRST_SEGMENT, DELETE_LAST_SEGMENT_AFTER_A_CRASH -> Files.delete(
                    m == Mutation.DELETE_FIRST_SEGMENT ? segs.get(0) : segs.get(segs.size() - 1));
            case DELETE_MIDDLE_SEGMENT -> Files.delete(segs.get(segs.size() / 2));
            case DELETE_LAST_SEGMENT -> Files.delete(segs.get(segs.size() - 1));
            case ROLL_SEGMENT_BACK_TO_AN_OLDER_COPY -> {
                List<Path> olderSegs = segments(older);
                Path old = olderSegs.get(olderSegs.size() - 1);
                Files.copy(old, store.resolve("logs/q").resolve(old.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            case TRUNCATE_FINISHED_SEGMENT_AT_A_RECORD_BOUNDARY -> {
                Path seg = segs.get(1);
                truncate(seg, SegmentFiles.slots(seg).get(3).position());
            }
            case TRUNCATE_LAST_SEGMENT_MID_RECORD_AFTER_A_CLEAN_STOP -> {
                Path seg = segs.get(segs.size() - 1);
                List<SegmentFiles.Slot> slots = SegmentFiles.slots(seg);
                SegmentFiles.Slot s = slots.get(slots.size() - 2);
                truncate(seg, s.position() + s.length() / 2);
            }
            case APPEND_GARBAGE_TO_A_FINISHED_SEGMENT -> Files.write(segs.get(1), new byte[100],
                    StandardOpenOption.APPEND);
            case DELETE_THE_MANIFEST -> Files.delete(manifest(store));
            case FLIP_A_BIT_IN_THE_MANIFEST -> SegmentFiles.flipBit(manifest(store), 30);
            case ROLL_THE_MANIFEST_BACK_TO_AN_OLDER_COPY -> Files.copy(manifest(older), manifest(store),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            case DELETE_THE_LOG_DIRECTORY -> Store.deleteTree(store.resolve("logs/q"));
            case DELETE_THE_LOG_METADATA -> Files.delete(store.resolve("logs/q/log.meta"));
            case COPY_IN_A_SEGMENT_FROM_ANOTHER_LOG -> {
                Path foreign = TestStores.segmentFiles(store, "other").get(0);
                Files.copy(foreign, store.resolve("logs/q").resolve(Segment.fileName(100_000_000L)));
            }
            case TRUNCATE_LAST_SEGMENT_BELOW_THE_CHECKPOINT_AFTER_A_CRASH -> {
                Path seg = segs.get(segs.size() - 1);
                truncate(seg, SegmentFiles.slots(seg).get(1).position());
            }
            default -> throw new IllegalArgumentException(m.toString());
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    @ParameterizedTest
    @EnumSource(Mutation.class)
    void shouldRefuseTheLogAndReportWhatARepairAccepts(Mutation m) throws IOException {
        boolean crash = m.name().endsWith("AFTER_A_CRASH");
        Path store = write(crash);
        apply(m, store);
        try (Store s = Store.open(cfg(store).build(), keyring)) {
            assertThat(s.unavailableLogs()).as("the mutated log is refused").containsOnlyKeys("q");
            String problem = s.unavailableLogs().get("q").getMessage();
            assertThat(problem).contains("log 'q' is unavailable");
            assertThatThrownBy(() -> s.requireLog("q")).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(((StoreException) e).kind()).isEqualTo(StoreException.Kind.LOG_UNAVAILABLE));
            assertThatThrownBy(() -> s.createLog("q")).isInstanceOf(StoreException.class);
            // the other log is untouched and writable
            Log other = s.requireLog("other");
            assertThat(other.read(0, 100, 1 << 20)).hasSize(10);
            assertThat(other.append(utf8("o-more")).join().firstOffset()).isGreaterThanOrEqualTo(10);
        }
        // a refused log stays refused: nothing was rewritten or dropped
        try (Store s = Store.open(cfg(store).build(), keyring)) {
            assertThat(s.unavailableLogs()).containsOnlyKeys("q");
            boolean repairable = !(m == Mutation.DELETE_THE_MANIFEST || m == Mutation.FLIP_A_BIT_IN_THE_MANIFEST);
            if (!repairable) {
                assertThatThrownBy(() -> s.repairLog("q")).isInstanceOf(StoreException.class)
                        .hasMessageContaining("restore");
                return;
            }
            RepairReport repair = s.repairLog("q");
            checkServedAfterRepair(s.requireLog("q"), repair);
        }
        try (Store s = Store.open(cfg(store).build(), keyring)) {
            assertThat(s.unavailableLogs()).isEmpty();
            Log q = s.requireLog("q");
            long next = q.append(utf8("after-reopen")).join().firstOffset();
            assertThat(next).as("no offset is handed out twice").isGreaterThan(acked.keySet().stream()
                    .mapToLong(Long::longValue).max().orElseThrow());
        }
    }

    /** Every acknowledged record is served unaltered, quarantined, or in a reported lost range. */
    private void checkServedAfterRepair(Log log, RepairReport repair) {
        Map<Long, String> served = new TreeMap<>();
        long from = log.startOffset();
        while (from < log.endOffset()) {
            List<StoredRecord> records;
            try {
                records = log.read(from, 1000, 1 << 20);
            } catch (RecordCorruptedException e) {
                from = e.range().to();
                continue;
            }
            if (records.isEmpty()) {
                break;
            }
            for (StoredRecord r : records) {
                served.put(r.offset(), text(r));
            }
            from = records.get(records.size() - 1).offset() + 1;
        }
        int silentlyLost = 0;
        for (Map.Entry<Long, String> e : acked.entrySet()) {
            String got = served.get(e.getKey());
            if (got != null) {
                assertThat(got).as("offset %d served unaltered", e.getKey()).isEqualTo(e.getValue());
            } else if (repair.lost().stream().noneMatch(r -> r.contains(e.getKey()))) {
                silentlyLost++;
            }
        }
        assertThat(served.keySet()).as("nothing served that was not acknowledged").isSubsetOf(acked.keySet());
        assertThat(silentlyLost).as("acknowledged records neither served nor reported lost").isZero();
        long next = log.append(utf8("after-repair")).join().firstOffset();
        assertThat(next).as("no offset is handed out twice").isGreaterThan(acked.keySet().stream()
                .mapToLong(Long::longValue).max().orElseThrow());
    }

    @Test
    void shouldWithholdOnlyTheTwoRecordsOfASwap() throws IOException {
        Path store = write(false);
        Path seg = segments(store).get(1);
        List<SegmentFiles.Slot> slots = SegmentFiles.slots(seg);
        SegmentFiles.Slot a = slots.get(2);
        SegmentFiles.Slot b = slots.get(8);
        assertThat(a.length()).isEqualTo(b.length());
        byte[] bytes = Files.readAllBytes(seg);
        byte[] swapped = bytes.clone();
        System.arraycopy(bytes, b.position(), swapped, a.position(), b.length());
        System.arraycopy(bytes, a.position(), swapped, b.position(), a.length());
        Files.write(seg, swapped);
        try (Store s = Store.open(cfg(store).build(), keyring)) {
            RecoveryReport.LogReport report = s.recoveryReport().log("q");
            assertThat(report.quarantined()).extracting(RecoveryReport.Quarantined::offsets)
                    .containsExactlyInAnyOrder(new OffsetRange(a.offset(), a.offset() + 1),
                            new OffsetRange(b.offset(), b.offset() + 1));
            Log q = s.requireLog("q");
            for (long o : acked.keySet()) {
                if (o == a.offset() || o == b.offset()) {
                    long offset = o;
                    assertThatThrownBy(() -> q.read(offset, 1, 1 << 20)).isInstanceOf(RecordCorruptedException.class);
                } else {
                    assertThat(text(q.read(o, 1, 1 << 20).get(0))).isEqualTo(acked.get(o));
                }
            }
        }
    }

    @Test
    void shouldRefuseTheStoreWhenItsStateFileIsAlteredOrMissing() throws IOException {
        Path store = write(false);
        Path state = store.resolve(StoreState.FILE_NAME);
        byte[] original = Files.readAllBytes(state);
        SegmentFiles.flipBit(state, original.length - 40);
        assertThatThrownBy(() -> Store.open(cfg(store).build(), keyring)).isInstanceOf(StoreException.class)
                .hasMessageContaining(StoreState.FILE_NAME).hasMessageContaining("altered");
        Files.delete(state);
        assertThatThrownBy(() -> Store.open(cfg(store).build(), keyring)).isInstanceOf(StoreException.class)
                .hasMessageContaining(StoreState.FILE_NAME).hasMessageContaining("missing");
        Files.write(state, original);
        try (Store s = Store.open(cfg(store).build(), keyring)) {
            assertThat(s.requireLog("q").read(0, 1000, 1 << 20)).hasSize(RECORDS);
        }
    }

    @Test
    void shouldTellACrashFromACleanStopAndNeverReuseAnOffsetAfterEither() throws IOException {
        Path image = write(true);
        long crashedEnd;
        try (Store s = Store.open(cfg(image).build(), keyring)) {
            RecoveryReport.LogReport report = s.recoveryReport().log("q");
            assertThat(report.crashRecovered()).isTrue();
            Log q = s.requireLog("q");
            assertThat(q.read(0, 1000, 1 << 20)).hasSize(RECORDS);
            crashedEnd = q.append(utf8("after-crash")).join().firstOffset();
            assertThat(crashedEnd).as("offsets reserved before the crash are skipped").isGreaterThan(RECORDS);
            assertThat(q.endOffset() - q.startOffset() - q.skippedCount(q.startOffset(), q.endOffset()))
                    .as("what the log holds, skipped offsets aside").isEqualTo(RECORDS + 1);
        }
        try (Store s = Store.open(cfg(image).build(), keyring)) {
            RecoveryReport.LogReport report = s.recoveryReport().log("q");
            assertThat(report.crashRecovered()).isFalse();
            assertThat(report.isClean()).as(report.toString()).isTrue();
            assertThat(s.requireLog("q").append(utf8("after-clean-stop")).join().firstOffset())
                    .as("after a clean stop the log continues exactly at its end").isEqualTo(crashedEnd + 1);
        }
    }

    @Test
    void shouldSettleSkippedOffsetsForSubscriptions() throws IOException {
        Path image;
        Path live = dir.resolve("live");
        Store store = Store.open(cfg(live).build(), keyring);
        try {
            Log q = store.createLog("q");
            q.subscriptions().create("s", 0).join();
            TestStores.appendAll(q, "m", 5);
            q.subscriptions().ackRange("s", 0, 5).join();
            store.checkpoint();
            image = dir.resolve("image");
            SegmentFiles.copyTree(live, image);
        } finally {
            store.close();
        }
        try (Store s = Store.open(cfg(image).build(), keyring)) {
            Log q = s.requireLog("q");
            long next = q.append(utf8("m-5")).join().firstOffset();
            assertThat(next).isGreaterThan(5);
            assertThat(q.subscriptions().isAcked("s", next - 1)).as("skipped offsets count as acknowledged").isTrue();
            q.subscriptions().ack("s", next).join();
            assertThat(q.subscriptions().lowWaterMark(0)).isEqualTo(next + 1);
            q.subscriptions().create("late", 0).join();
            assertThat(q.subscriptions().isAcked("late", next - 1)).as("also for a subscription created later").isTrue();
            assertThat(q.subscriptions().isAcked("late", 4)).isFalse();
        }
    }

    @Test
    void shouldUpgradeALogWrittenByAnEarlierVersionOnce() throws IOException {
        Path store = write(false);
        // what an earlier version left: version-1 key files, no store state, no subscription files
        for (String name : List.of("q", "other")) {
            byte[] meta = Files.readAllBytes(store.resolve("logs").resolve(name).resolve("log.meta"));
            byte[] id = java.util.Arrays.copyOfRange(meta, 8, 24);
            Path keyFile = store.resolve("keys").resolve(java.util.HexFormat.of().formatHex(id) + ".dek");
            List<org.securebroker.store.crypto.WrappedDataKey> keys = LogManifest.read(keyFile, id, name, keyring).keys();
            org.securebroker.store.crypto.DataKeyFile.write(org.securebroker.store.io.DefaultFileLayer.INSTANCE, keyFile,
                    id, keys);
        }
        Files.delete(store.resolve(StoreState.FILE_NAME));
        Store.deleteTree(store.resolve("subscriptions"));
        try (Store s = Store.open(cfg(store).build(), keyring)) {
            assertThat(s.unavailableLogs()).isEmpty();
            assertThat(s.recoveryReport().log("q").notes()).anyMatch(n -> n.contains("upgraded"));
            Log q = s.requireLog("q");
            assertThat(q.read(0, 1000, 1 << 20)).extracting(TestStores::text).containsExactlyElementsOf(acked.values());
            assertThat(q.append(utf8("after-upgrade")).join().firstOffset()).isEqualTo(RECORDS);
        }
        try (Store s = Store.open(cfg(store).build(), keyring)) {
            assertThat(s.recoveryReport().isClean()).as(s.recoveryReport().toString()).isTrue();
            assertThat(s.requireLog("q").read(RECORDS, 1, 1 << 20)).extracting(TestStores::text)
                    .containsExactly("after-upgrade");
        }
        // once upgraded, losing the state file is no longer taken for an old store
        Files.delete(store.resolve(StoreState.FILE_NAME));
        assertThatThrownBy(() -> Store.open(cfg(store).build(), keyring)).isInstanceOf(StoreException.class)
                .hasMessageContaining("missing");
    }
}
