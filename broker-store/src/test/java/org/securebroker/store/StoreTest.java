package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.keyring;
import static org.securebroker.store.TestStores.text;
import static org.securebroker.store.TestStores.utf8;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.subscription.Subscriptions;

class StoreTest {

    @TempDir
    Path dir;

    private final Keyring keyring = keyring();

    @Test
    void shouldKeepTheRecordsOfSeveralLogsApartWhenOneGroupCommitWritesThemAll() {
        List<String> names = List.of("orders", "billing", "audit-trail");
        List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
        try (Store store = Store.open(config(dir).segmentBytes(64 * 1024).build(), keyring)) {
            for (String name : names) {
                store.createLog(name);
            }
            // appends to all logs queued back to back land in the same group commits
            for (int i = 0; i < 3000; i++) {
                String name = names.get(i % names.size());
                pending.add(store.requireLog(name).append(utf8(name + "-" + i + "-" + "x".repeat(i % 200))));
            }
            pending.forEach(CompletableFuture::join);
            assertThat(store.isWritable()).isTrue();
            assertAllReadBack(store, names);
        }
        try (Store store = Store.open(config(dir).segmentBytes(64 * 1024).build(), keyring)) {
            assertThat(store.recoveryReport().logs()).hasSize(3).allSatisfy(r -> {
                assertThat(r.quarantined()).isEmpty();
                assertThat(r.truncatedBytes()).isZero();
            });
            assertAllReadBack(store, names);
        }
    }

    private static void assertAllReadBack(Store store, List<String> names) {
        for (int n = 0; n < names.size(); n++) {
            String name = names.get(n);
            List<String> expected = new ArrayList<>();
            for (int i = n; i < 3000; i += names.size()) {
                expected.add(name + "-" + i + "-" + "x".repeat(i % 200));
            }
            List<String> read = new ArrayList<>();
            Log log = store.requireLog(name);
            long offset = log.startOffset();
            while (offset < log.endOffset()) {
                List<StoredRecord> records = log.read(offset, 500, 1 << 20);
                records.forEach(r -> read.add(text(r)));
                offset += records.size();
            }
            assertThat(read).as(name).isEqualTo(expected);
        }
    }

    @Test
    void shouldAppendAndReadBackInOrder() {
        try (Store store = Store.open(config(dir).build(), keyring)) {
            Log log = store.createLog("orders");
            assertThat(log.append(utf8("a")).join()).isEqualTo(new AppendResult(0, 0));
            assertThat(log.append(List.of(utf8("b"), utf8("c"))).join()).isEqualTo(new AppendResult(1, 2));
            List<StoredRecord> records = log.read(0, 10, 1 << 20);
            assertThat(records).extracting(TestStores::text).containsExactly("a", "b", "c");
            assertThat(records).extracting(StoredRecord::offset).containsExactly(0L, 1L, 2L);
            assertThat(log.read(1, 1, 1 << 20)).extracting(TestStores::text).containsExactly("b");
            assertThat(log.read(3, 10, 1 << 20)).isEmpty();
            assertThat(log.endOffset()).isEqualTo(3);
        }
    }

    @Test
    void shouldNotStoreThePlaintext() throws Exception {
        try (Store store = Store.open(config(dir).build(), keyring)) {
            store.createLog("secrets").append(utf8("the launch code is 0000")).join();
        }
        for (Path segment : TestStores.segmentFiles(dir, "secrets")) {
            assertThat(new String(Files.readAllBytes(segment), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain("launch code");
        }
    }

    @Test
    void shouldRespectByteAndRecordLimitsButAlwaysReturnOneRecord() {
        try (Store store = Store.open(config(dir).build(), keyring)) {
            Log log = store.createLog("q");
            for (int i = 0; i < 10; i++) {
                log.append(ByteBuffer.wrap(new byte[100])).join();
            }
            assertThat(log.read(0, 3, 1 << 20)).hasSize(3);
            assertThat(log.read(0, 100, 250)).hasSize(2);
            assertThat(log.read(0, 100, 1)).hasSize(1);
        }
    }

    @Test
    void shouldKeepEverythingAcrossRestartsAndContinueOffsets() {
        try (Store store = Store.open(config(dir).segmentBytes(4096).build(), keyring)) {
            TestStores.appendAll(store.createLog("q"), "first", 100);
        }
        try (Store store = Store.open(config(dir).segmentBytes(4096).build(), keyring)) {
            assertThat(store.recoveryReport().isClean()).as(store.recoveryReport().toString()).isTrue();
            Log log = store.requireLog("q");
            assertThat(log.segmentCount()).isGreaterThan(1);
            assertThat(log.append(utf8("second")).join().firstOffset()).isEqualTo(100);
            List<StoredRecord> all = log.read(0, 1000, 1 << 20);
            assertThat(all).hasSize(101);
            assertThat(text(all.get(57))).isEqualTo("first-57");
            assertThat(text(all.get(100))).isEqualTo("second");
        }
        try (Store store = Store.open(config(dir).segmentBytes(4096).build(), keyring)) {
            assertThat(store.requireLog("q").read(95, 1000, 1 << 20)).hasSize(6);
        }
    }

    @Test
    void shouldShareOneFsyncBetweenConcurrentAppends() throws Exception {
        List<long[]> commits = new ArrayList<>();
        StoreListener listener = new StoreListener() {
            @Override
            public synchronized void onCommit(int records, long bytes, int files, long nanos) {
                commits.add(new long[] {records, files});
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try (Store store = Store.open(config(dir).listener(listener).build(), keyring)) {
            Log log = store.createLog("q");
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                int n = i;
                futures.add(CompletableFuture.supplyAsync(() -> log.append(utf8("m" + n)), pool).thenCompose(f -> f));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
            assertThat(log.endOffset()).isEqualTo(2000);
        } finally {
            pool.shutdown();
        }
        synchronized (listener) {
            long records = commits.stream().mapToLong(c -> c[0]).sum();
            assertThat(records).isEqualTo(2000);
            assertThat(commits.size()).as("group commits for 2000 appends").isLessThan(2000);
        }
    }

    @Test
    void shouldReleaseWholeSegmentsBelowTheLowWaterMark() throws Exception {
        try (Store store = Store.open(config(dir).segmentBytes(4096).build(), keyring)) {
            Log log = store.createLog("q");
            TestStores.appendAll(log, "m", 200);
            int before = log.segmentCount();
            log.releaseBelow(150);
            store.kekIdsInUse();
            assertThat(log.startOffset()).isEqualTo(150);
            assertThat(log.segmentCount()).isLessThan(before);
            assertThatThrownBy(() -> log.read(10, 1, 100)).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(((StoreException) e).kind()).isEqualTo(StoreException.Kind.OFFSET_OUT_OF_RANGE));
            assertThat(text(log.read(150, 1, 100).get(0))).isEqualTo("m-150");
        }
        try (Store store = Store.open(config(dir).segmentBytes(4096).build(), keyring)) {
            Log log = store.requireLog("q");
            assertThat(log.startOffset()).isLessThanOrEqualTo(150).isGreaterThan(0);
            assertThat(log.endOffset()).isEqualTo(200);
        }
    }

    @Test
    void shouldApplySizeRetentionToFinishedSegmentsOnly() {
        RetentionPolicy policy = new RetentionPolicy(null, 16 * 1024);
        try (Store store = Store.open(config(dir).segmentBytes(4096).retention(policy).build(), keyring)) {
            Log log = store.createLog("q");
            TestStores.appendAll(log, "m", 1000);
            store.applyRetention();
            assertThat(log.sizeBytes()).isLessThanOrEqualTo(16 * 1024 + 4096);
            assertThat(log.startOffset()).isGreaterThan(0);
            assertThat(log.endOffset()).isEqualTo(1000);
            assertThat(text(log.read(999, 1, 100).get(0))).isEqualTo("m-999");
        }
    }

    @Test
    void shouldRefuseBadNamesAndDuplicates() {
        try (Store store = Store.open(config(dir).build(), keyring)) {
            store.createLog("a.b-c_1");
            assertThatThrownBy(() -> store.createLog("a.b-c_1")).isInstanceOf(StoreException.class).hasMessageContaining("exists");
            for (String bad : List.of("", "..", "../x", "a/b", ".hidden", "x".repeat(201), "spa ce")) {
                assertThatThrownBy(() -> store.createLog(bad)).as(bad).isInstanceOf(StoreException.class)
                        .hasMessageContaining("invalid log name");
            }
        }
    }

    @Test
    void shouldRefuseOversizedRecordsWithTheLimit() {
        try (Store store = Store.open(config(dir).maxRecordBytes(1000).build(), keyring)) {
            Log log = store.createLog("q");
            assertThatThrownBy(() -> log.append(ByteBuffer.allocate(1001)).join())
                    .hasCauseInstanceOf(StoreException.class).hasMessageContaining("limit of 1000");
        }
    }

    @Test
    void shouldRefuseASecondOpenOfTheSameDirectory() {
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThatThrownBy(() -> Store.open(config(dir).build(), keyring)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("open in another process");
        }
    }

    @Test
    void shouldKeepSubscriptionStateAcrossRestarts() {
        try (Store store = Store.open(config(dir).build(), keyring)) {
            Log log = store.createLog("q");
            TestStores.appendAll(log, "m", 10);
            Subscriptions subs = log.subscriptions();
            subs.create("s1", 0).join();
            subs.create("s2", 0).join();
            subs.ack("s1", 0).join();
            subs.ack("s1", 1).join();
            subs.ack("s1", 5).join();
            subs.ack("s2", 0).join();
        }
        try (Store store = Store.open(config(dir).build(), keyring)) {
            Subscriptions subs = store.requireLog("q").subscriptions();
            assertThat(subs.get("s1").orElseThrow().committed()).isEqualTo(2);
            assertThat(subs.isAcked("s1", 5)).isTrue();
            assertThat(subs.isAcked("s1", 4)).isFalse();
            assertThat(subs.lowWaterMark(0)).isEqualTo(1);
        }
    }

    @Test
    void shouldCompactTheSubscriptionJournal() {
        try (Store store = Store.open(config(dir).subscriptionCompactBytes(4096).build(), keyring)) {
            Log log = store.createLog("q");
            log.subscriptions().create("s", 0).join();
            for (int i = 0; i < 2000; i += 2) {
                log.subscriptions().ack("s", i).join();
            }
        }
        try (Store store = Store.open(config(dir).build(), keyring)) {
            Subscriptions subs = store.requireLog("q").subscriptions();
            assertThat(subs.isAcked("s", 1998)).isTrue();
            assertThat(subs.isAcked("s", 1999)).isFalse();
            assertThat(subs.get("s").orElseThrow().ackedAbove()).hasSize(999);
        }
    }

    @Test
    void shouldForgetSubscriptionsOfADeletedLog() {
        try (Store store = Store.open(config(dir).build(), keyring)) {
            Log log = store.createLog("q");
            log.subscriptions().create("s", 0).join();
            store.deleteLog("q");
            Log again = store.createLog("q");
            assertThat(again.subscriptions().list()).isEmpty();
            assertThat(again.endOffset()).isZero();
        }
    }
}
