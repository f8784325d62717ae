package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.keyring;
import static org.securebroker.store.TestStores.utf8;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.StoredRecord;

class SealerTest {

    @TempDir
    Path dir;

    private final Keyring keyring = keyring();

    /** Seals each record with "|log@offset" so the test sees what it was given. */
    private static class LabellingSealer implements RecordSealer {
        /** The offsets each call sealed, [first, end). */
        final List<long[]> calls = new CopyOnWriteArrayList<>();

        List<Integer> callSizes() {
            return calls.stream().map(c -> (int) (c[1] - c[0])).toList();
        }

        @Override
        public int maxSealBytes() {
            return 64;
        }

        @Override
        public ByteBuffer[] seal(String log, long firstOffset, ByteBuffer[] records) {
            calls.add(new long[] {firstOffset, firstOffset + records.length});
            ByteBuffer[] out = new ByteBuffer[records.length];
            for (int i = 0; i < records.length; i++) {
                out[i] = ByteBuffer.wrap(("|" + log + "@" + (firstOffset + i)).getBytes(StandardCharsets.UTF_8));
            }
            return out;
        }
    }

    @Test
    void shouldStoreEachRecordWithTheSealForItsFinalOffsetAndReportIt() {
        LabellingSealer sealer = new LabellingSealer();
        List<String> logs = List.of("a", "b");
        List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
        try (Store store = Store.open(config(dir).segmentBytes(8 * 1024).sealer(sealer).build(), keyring)) {
            logs.forEach(store::createLog);
            for (int i = 0; i < 600; i++) {
                String log = logs.get(i % 2);
                pending.add(store.requireLog(log).append(List.of(utf8("m" + i), utf8("n" + i))));
            }
            for (int i = 0; i < pending.size(); i++) {
                AppendResult r = pending.get(i).join();
                String log = logs.get(i % 2);
                assertThat(r.seals()).hasSize(2);
                assertThat(StandardCharsets.UTF_8.decode(r.seals().get(1)).toString())
                        .isEqualTo("|" + log + "@" + (r.firstOffset() + 1));
            }
            assertThat(sealer.callSizes().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1200);
        }
        // read back after a restart without a sealer: record and seal come back as one payload
        try (Store store = Store.open(config(dir).segmentBytes(8 * 1024).build(), keyring)) {
            for (String log : logs) {
                List<StoredRecord> records = store.requireLog(log).read(0, 1000, 1 << 20);
                assertThat(records).hasSize(600);
                for (StoredRecord r : records) {
                    assertThat(new String(r.payload(), StandardCharsets.UTF_8)).endsWith("|" + log + "@" + r.offset());
                }
            }
        }
    }

    /** Holds the commit thread in its first call until released, so that appends queue up behind it. */
    private static final class HoldingSealer extends LabellingSealer {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public ByteBuffer[] seal(String log, long firstOffset, ByteBuffer[] records) {
            if (entered.getCount() > 0) {
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.seal(log, firstOffset, records);
        }
    }

    @Test
    void shouldSealALogsAppendsOfOneRoundInOneCall() throws Exception {
        HoldingSealer sealer = new HoldingSealer();
        try (Store store = Store.open(config(dir).sealer(sealer).build(), keyring)) {
            store.createLog("a");
            Log a = store.requireLog("a");
            CompletableFuture<AppendResult> first = a.append(utf8("first"));
            assertThat(sealer.entered.await(10, TimeUnit.SECONDS)).isTrue();
            // these wait for the next round while the commit thread is held in the first one
            List<CompletableFuture<AppendResult>> queued = IntStream.range(0, 20)
                    .mapToObj(i -> a.append(List.of(utf8("m" + i), utf8("n" + i), utf8("o" + i)))).toList();
            sealer.release.countDown();

            first.join();
            for (int i = 0; i < queued.size(); i++) {
                AppendResult r = queued.get(i).join();
                assertThat(r.firstOffset()).isEqualTo(1 + 3L * i);
                assertThat(StandardCharsets.UTF_8.decode(r.seals().get(2)).toString()).isEqualTo("|a@" + (r.firstOffset() + 2));
            }
            assertThat(sealer.callSizes()).as("one call for the held append, one for the 20 queued behind it")
                    .containsExactly(1, 60);
        }
    }

    @Test
    void shouldWriteRecordsSealedTogetherToOneSegment() throws Exception {
        HoldingSealer sealer = new HoldingSealer();
        int segmentBytes = 8 * 1024;
        try (Store store = Store.open(config(dir).segmentBytes(segmentBytes).sealer(sealer).build(), keyring)) {
            store.createLog("a");
            Log a = store.requireLog("a");
            CompletableFuture<AppendResult> first = a.append(utf8("x".repeat(5000)));
            assertThat(sealer.entered.await(10, TimeUnit.SECONDS)).isTrue();
            // behind the held one: appends that would fit in what is left of its segment one by
            // one, but not all together, and more than one segment's worth in all
            List<CompletableFuture<AppendResult>> queued = IntStream.range(0, 12)
                    .mapToObj(i -> a.append(utf8(i + "y".repeat(1000)))).toList();
            sealer.release.countDown();
            first.join();
            queued.forEach(CompletableFuture::join);
            assertThat(sealer.calls.size()).as("the queued appends took more than one group").isGreaterThan(2);
        }
        Map<Long, Path> segmentOf = new HashMap<>();
        for (Path file : TestStores.segmentFiles(dir, "a")) {
            for (SegmentFiles.Slot slot : SegmentFiles.slots(file)) {
                if (!slot.endMarker()) {
                    segmentOf.put(slot.offset(), file);
                }
            }
        }
        assertThat(segmentOf).hasSize(13);
        for (long[] call : sealer.calls) {
            assertThat(LongStream.range(call[0], call[1]).mapToObj(segmentOf::get).distinct())
                    .as("offsets %d to %d were sealed together", call[0], call[1] - 1).hasSize(1);
        }
    }

    @Test
    void shouldFailTheAppendsAndStoreNothingWhenSealingFails() {
        RecordSealer failing = new RecordSealer() {
            @Override
            public int maxSealBytes() {
                return 8;
            }

            @Override
            public ByteBuffer[] seal(String log, long firstOffset, ByteBuffer[] records) {
                throw new IllegalStateException("no key");
            }
        };
        try (Store store = Store.open(config(dir).sealer(failing).build(), keyring)) {
            store.createLog("a");
            CompletableFuture<AppendResult> f = store.requireLog("a").append(utf8("x"));
            assertThat(f).failsWithin(java.time.Duration.ofSeconds(5)).withThrowableThat()
                    .havingCause().isInstanceOf(StoreException.class).withMessageContaining("could not be sealed");
            assertThat(store.requireLog("a").endOffset()).isZero();
            assertThat(store.isWritable()).isTrue();
        }
    }
}
