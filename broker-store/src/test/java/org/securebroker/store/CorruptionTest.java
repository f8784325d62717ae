package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.text;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.securebroker.store.crypto.Kek;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.RecordCorruptedException;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.segment.RecordFormat;

/**
 * Damage below the encryption, at every place a record can be hit; each must be detected,
 * reported and never served, and everything else must stay readable.
 */
class CorruptionTest {

    private static final int SEGMENT_BYTES = 4096;
    private static final int RECORDS = 120;

    @TempDir
    Path dir;

    private final Keyring keyring = TestStores.keyring();

    private StoreConfig.Builder cfg(Path d) {
        return config(d).segmentBytes(SEGMENT_BYTES);
    }

    private void writeLog(String name) {
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog(name), "m", RECORDS);
        }
    }

    private static void assertAllReadableExcept(Log log, OffsetRange damaged) {
        for (long o = 0; o < RECORDS; o++) {
            if (damaged.contains(o)) {
                long offset = o;
                assertThatThrownBy(() -> log.read(offset, 1, 1 << 20))
                        .isInstanceOf(RecordCorruptedException.class)
                        .satisfies(e -> assertThat(((RecordCorruptedException) e).range().contains(offset)).isTrue());
            } else {
                assertThat(text(log.read(o, 1, 1 << 20).get(0))).isEqualTo("m-" + o);
            }
        }
    }

    @ParameterizedTest(name = "flip a bit in the {0}")
    @ValueSource(strings = {"magic", "length", "offset", "synced", "keyId", "crc", "ciphertext", "tag"})
    void shouldQuarantineARecordWithAFlippedBit(String region) throws Exception {
        writeLog("q");
        Path segment = TestStores.segmentFiles(dir, "q").get(1);
        SegmentFiles.Slot slot = SegmentFiles.slots(segment).get(3);
        int at = switch (region) {
            case "magic" -> 0;
            case "length" -> 6;
            case "offset" -> 15;
            case "synced" -> 20;
            case "keyId" -> 25;
            case "crc" -> 29;
            case "ciphertext" -> RecordFormat.HEADER_BYTES + 2;
            case "tag" -> slot.length() - 3;
            default -> throw new IllegalArgumentException(region);
        };
        SegmentFiles.flipBit(segment, slot.position() + at);

        List<OffsetRange> reported = new ArrayList<>();
        StoreListener listener = new StoreListener() {
            @Override
            public void onQuarantine(String log, Path file, OffsetRange offsets, String reason) {
                reported.add(offsets);
            }
        };
        try (Store store = Store.open(cfg(dir).listener(listener).build(), keyring)) {
            RecoveryReport.LogReport report = store.recoveryReport().log("q");
            assertThat(report.quarantined()).hasSize(1);
            OffsetRange damaged = report.quarantined().get(0).offsets();
            assertThat(damaged).isEqualTo(new OffsetRange(slot.offset(), slot.offset() + 1));
            assertThat(report.truncatedBytes()).isZero();
            assertThat(reported).containsExactly(damaged);
            Log log = store.requireLog("q");
            assertAllReadableExcept(log, damaged);
            // a read that starts before the damage stops in front of it
            List<StoredRecord> before = log.read(slot.offset() - 2, 100, 1 << 20);
            assertThat(before).extracting(StoredRecord::offset).containsExactly(slot.offset() - 2, slot.offset() - 1);
            // the log still takes appends after the damaged range
            assertThat(log.append(TestStores.utf8("new")).join().firstOffset()).isEqualTo(RECORDS);
        }
    }

    @Test
    void shouldTruncateATornTailAndReportIt() throws Exception {
        Path live = dir.resolve("live");
        Path image = dir.resolve("image");
        try (Store store = Store.open(cfg(live).build(), keyring)) {
            TestStores.appendAll(store.createLog("q"), "m", 10);
            SegmentFiles.copyTree(live, image);
        }
        Path segment = TestStores.segmentFiles(image, "q").get(0);
        SegmentFiles.Slot last = SegmentFiles.slotOf(segment, 9);
        long cut = (long) last.position() + last.length() / 2;
        try (var ch = java.nio.channels.FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(cut);
        }
        try (Store store = Store.open(cfg(image).build(), keyring)) {
            RecoveryReport.LogReport report = store.recoveryReport().log("q");
            assertThat(report.truncatedBytes()).isEqualTo(cut - last.position());
            assertThat(report.truncatedRecords()).isEqualTo(1);
            assertThat(report.quarantined()).isEmpty();
            assertThat(report.crashRecovered()).isTrue();
            Log log = store.requireLog("q");
            assertThat(log.read(0, 100, 1 << 20)).hasSize(9);
            // offset 9 may have been handed out before the crash: the log continues above
            // every offset reserved before it, never at 9
            long again = log.append(TestStores.utf8("again")).join().firstOffset();
            assertThat(again).isGreaterThan(9);
            assertThat(log.read(0, 100, 1 << 20)).extracting(TestStores::text).endsWith("m-8", "again");
            long next = again;
            store.close();
            try (Store reopened = Store.open(cfg(image).build(), keyring)) {
                assertThat(reopened.recoveryReport().isClean()).as(reopened.recoveryReport().toString()).isTrue();
                assertThat(text(reopened.requireLog("q").read(next, 1, 100).get(0))).isEqualTo("again");
                assertThat(reopened.requireLog("q").append(TestStores.utf8("more")).join().firstOffset())
                        .as("after a clean stop the log continues exactly where it ended").isEqualTo(next + 1);
            }
        }
    }

    @Test
    void shouldQuarantineDamageInTheAcknowledgedPrefixOfTheLastSegment() throws Exception {
        Path live = dir.resolve("live");
        Path image = dir.resolve("image");
        try (Store store = Store.open(cfg(live).build(), keyring)) {
            TestStores.appendAll(store.createLog("q"), "m", 10);
            SegmentFiles.copyTree(live, image);
        }
        Path segment = TestStores.segmentFiles(image, "q").get(0);
        SegmentFiles.Slot slot = SegmentFiles.slotOf(segment, 4);
        SegmentFiles.flipBit(segment, slot.position() + 40);
        try (Store store = Store.open(cfg(image).build(), keyring)) {
            RecoveryReport.LogReport report = store.recoveryReport().log("q");
            assertThat(report.truncatedBytes()).isZero();
            assertThat(report.quarantined()).extracting(RecoveryReport.Quarantined::offsets)
                    .containsExactly(new OffsetRange(4, 5));
            assertThat(store.requireLog("q").read(5, 100, 1 << 20)).hasSize(5);
            assertThat(store.requireLog("q").append(TestStores.utf8("next")).join().firstOffset()).isGreaterThan(9);
        }
    }

    @Test
    void shouldRefuseALogWhoseFinishedSegmentWasShortenedUntilTheLossIsAccepted() throws Exception {
        writeLog("q");
        Path segment = TestStores.segmentFiles(dir, "q").get(0);
        SegmentFiles.Slot slot = SegmentFiles.slots(segment).get(5);
        try (var ch = java.nio.channels.FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(slot.position() + 7);
        }
        long segmentEnd = TestStores.segmentFiles(dir, "q").size() > 1
                ? Long.parseLong(TestStores.segmentFiles(dir, "q").get(1).getFileName().toString().substring(0, 20))
                : RECORDS;
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).containsKey("q");
            assertThat(store.unavailableLogs().get("q").getMessage()).contains(segment.getFileName().toString())
                    .contains("truncated");
            assertThatThrownBy(() -> store.requireLog("q")).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(((StoreException) e).kind()).isEqualTo(StoreException.Kind.LOG_UNAVAILABLE));
            assertThatThrownBy(() -> store.createLog("q")).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(((StoreException) e).kind()).isEqualTo(StoreException.Kind.LOG_UNAVAILABLE));
            RepairReport repair = store.repairLog("q");
            assertThat(repair.lost()).containsExactly(new OffsetRange(slot.offset(), segmentEnd));
            Log log = store.requireLog("q");
            for (long o = 0; o < RECORDS; o++) {
                // a lost offset holds nothing: a read from it gets the next record there is
                long expected = o >= slot.offset() && o < segmentEnd ? segmentEnd : o;
                assertThat(text(log.read(o, 1, 1 << 20).get(0))).isEqualTo("m-" + expected);
            }
            assertThat(log.append(TestStores.utf8("after-repair")).join().firstOffset()).isGreaterThanOrEqualTo(RECORDS);
        }
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).isEmpty();
            assertThat(store.requireLog("q").read(0, 1, 1 << 20)).hasSize(1);
        }
    }

    @Test
    void shouldDetectTwoSwappedRecords() throws Exception {
        writeLog("q");
        Path segment = TestStores.segmentFiles(dir, "q").get(1);
        List<SegmentFiles.Slot> slots = SegmentFiles.slots(segment);
        SegmentFiles.Slot a = slots.get(2);
        SegmentFiles.Slot b = slots.get(3);
        byte[] bytes = Files.readAllBytes(segment);
        byte[] swapped = bytes.clone();
        System.arraycopy(bytes, b.position(), swapped, a.position(), b.length());
        System.arraycopy(bytes, a.position(), swapped, a.position() + b.length(), a.length());
        Files.write(segment, swapped);
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            RecoveryReport.LogReport report = store.recoveryReport().log("q");
            assertThat(report.quarantined()).isNotEmpty();
            // only the two swapped records may be withheld; whatever is served is the authentic
            // record of its offset
            long withheld = report.quarantined().stream().mapToLong(q -> q.offsets().count()).sum();
            assertThat(withheld).isBetween(1L, 2L);
            Log log = store.requireLog("q");
            for (long o = 0; o < RECORDS; o++) {
                if (o == a.offset() || o == b.offset()) {
                    long offset = o;
                    try {
                        assertThat(text(log.read(offset, 1, 1 << 20).get(0))).isEqualTo("m-" + offset);
                    } catch (RecordCorruptedException e) {
                        assertThat(e.range().contains(offset)).isTrue();
                    }
                } else {
                    assertThat(text(log.read(o, 1, 1 << 20).get(0))).isEqualTo("m-" + o);
                }
            }
        }
    }

    @Test
    void shouldDetectSwappedRecordsEvenWhenTheHeadersWereRewritten() throws Exception {
        writeLog("q");
        Path segment = TestStores.segmentFiles(dir, "q").get(1);
        List<SegmentFiles.Slot> slots = SegmentFiles.slots(segment);
        SegmentFiles.Slot a = slots.get(2);
        SegmentFiles.Slot b = slots.get(3);
        byte[] bytes = Files.readAllBytes(segment);
        byte[] swapped = bytes.clone();
        System.arraycopy(bytes, b.position(), swapped, a.position(), b.length());
        System.arraycopy(bytes, a.position(), swapped, a.position() + b.length(), a.length());
        SegmentFiles.setOffset(swapped, a.position(), a.offset());
        SegmentFiles.fixCrc(swapped, a.position());
        SegmentFiles.setOffset(swapped, a.position() + b.length(), b.offset());
        SegmentFiles.fixCrc(swapped, a.position() + b.length());
        Files.write(segment, swapped);

        List<OffsetRange> reported = new ArrayList<>();
        StoreListener listener = new StoreListener() {
            @Override
            public void onQuarantine(String log, Path file, OffsetRange offsets, String reason) {
                reported.add(offsets);
            }
        };
        try (Store store = Store.open(cfg(dir).listener(listener).build(), keyring)) {
            assertThat(store.recoveryReport().isClean()).as("headers and checksums are consistent").isTrue();
            Log log = store.requireLog("q");
            assertThatThrownBy(() -> log.read(a.offset(), 1, 1 << 20)).isInstanceOf(RecordCorruptedException.class)
                    .hasMessageContaining("fails authentication");
            assertThatThrownBy(() -> log.read(b.offset(), 1, 1 << 20)).isInstanceOf(RecordCorruptedException.class);
            assertThat(reported).contains(new OffsetRange(a.offset(), a.offset() + 1), new OffsetRange(b.offset(), b.offset() + 1));
            List<StoredRecord> upTo = log.read(a.offset() - 3, 100, 1 << 20);
            assertThat(upTo).extracting(StoredRecord::offset)
                    .containsExactly(a.offset() - 3, a.offset() - 2, a.offset() - 1);
        }
    }

    @Test
    void shouldRefuseARecordCopiedIntoAnotherLog() throws Exception {
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog("source"), "secret", 5);
            TestStores.appendAll(store.createLog("target"), "public", 5);
        }
        Path source = TestStores.segmentFiles(dir, "source").get(0);
        Path target = TestStores.segmentFiles(dir, "target").get(0);
        SegmentFiles.Slot from = SegmentFiles.slotOf(source, 2);
        SegmentFiles.Slot to = SegmentFiles.slotOf(target, 2);
        assertThat(from.length()).isEqualTo(to.length());
        byte[] src = Files.readAllBytes(source);
        byte[] dst = Files.readAllBytes(target);
        System.arraycopy(src, from.position(), dst, to.position(), from.length());
        SegmentFiles.setKeyId(dst, to.position(), SegmentFiles.keyIdOf(target));
        SegmentFiles.fixCrc(dst, to.position());
        Files.write(target, dst);
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            Log log = store.requireLog("target");
            assertThatThrownBy(() -> log.read(2, 1, 1 << 20)).isInstanceOf(RecordCorruptedException.class);
            assertThat(text(log.read(3, 1, 1 << 20).get(0))).isEqualTo("public-3");
        }
    }

    @Test
    void shouldRefuseToOpenWithTheWrongKek() {
        writeLog("q");
        Keyring sameIdOtherKey = Keyring.of(TestStores.randomKek(keyring.current().id()));
        assertThatThrownBy(() -> Store.open(cfg(dir).build(), sameIdOtherKey))
                .isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).kind()).isEqualTo(StoreException.Kind.KEY_ERROR))
                .hasMessageContaining(keyring.current().id());
        Keyring otherId = Keyring.of(TestStores.randomKek("kek-other"));
        assertThatThrownBy(() -> Store.open(cfg(dir).build(), otherId))
                .hasMessageContaining("'" + keyring.current().id() + "'")
                .hasMessageContaining("not in the keyring");
        // the store is untouched and opens with the right key
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            assertThat(store.requireLog("q").read(0, 1000, 1 << 20)).hasSize(RECORDS);
        }
    }

    @Test
    void shouldRefuseToOpenWhenADataKeyFileIsMissingAndNameIt() throws Exception {
        writeLog("q");
        try (var keys = Files.list(dir.resolve("keys"))) {
            for (Path p : keys.toList()) {
                Files.delete(p);
            }
        }
        try (Store store = Store.open(cfg(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).containsOnlyKeys("q");
            assertThat(store.unavailableLogs().get("q").getMessage()).contains("manifest").contains("missing")
                    .contains("restore");
            assertThatThrownBy(() -> store.repairLog("q")).isInstanceOf(StoreException.class)
                    .hasMessageContaining("key backup");
        }
    }

    @Test
    void shouldNeverMatchAKekThatIsOnlySimilar() {
        Kek kek = keyring.current();
        assertThat(kek).isNotEqualTo(TestStores.randomKek(kek.id()));
    }
}
