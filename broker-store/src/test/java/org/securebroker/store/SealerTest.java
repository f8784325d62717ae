package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.keyring;
import static org.securebroker.store.TestStores.utf8;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;

class SealerTest {

    @TempDir
    Path dir;

    private final Keyring keyring = keyring();

    /** Seals each record with "|log@offset#countInCall" so the test sees what it was given. */
    private static final class LabellingSealer implements RecordSealer {
        final List<Integer> callSizes = new ArrayList<>();

        @Override
        public int maxSealBytes() {
            return 64;
        }

        @Override
        public ByteBuffer[] seal(String log, long firstOffset, ByteBuffer[] records) {
            callSizes.add(records.length);
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
            assertThat(sealer.callSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(1200);
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
