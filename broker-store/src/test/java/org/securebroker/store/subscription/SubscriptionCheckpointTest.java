package org.securebroker.store.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.subscription.SubscriptionTestFiles.A;
import static org.securebroker.store.subscription.SubscriptionTestFiles.open;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshotGeneration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.failure.StoreException;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

/**
 * The checkpoint the store's state file records: what {@link SubscriptionStore#durableCheckpoint()}
 * counts, and compactions held back so that the snapshot on disk is never more than one
 * generation ahead of what the state file may hold.
 */
class SubscriptionCheckpointTest {

    /** About five entries per generation. */
    private static final long COMPACT_BYTES = 200;

    @TempDir
    Path dir;

    @Test
    void shouldCountTheEntriesThatAreDurable() throws IOException {
        try (SubscriptionStore store = open(dir, A, null)) {
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(1, 0));
            store.forLog("q").create("s", 0).join();
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(1, 1));
            store.forLog("q").ack("s", 0).join();
            store.forLog("q").ack("s", 0).join(); // nothing changed: no entry
            store.forLog("q").ack("s", 1).join();
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(1, 3));
        }
        try (SubscriptionStore store = open(dir, A, new SubscriptionCheckpoint(1, 3))) {
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(1, 3));
        }
    }

    @Test
    void shouldStartTheNextGenerationWithNoEntriesOnCompaction() throws IOException {
        try (SubscriptionStore store = open(dir, A, null, COMPACT_BYTES)) {
            store.forLog("q").create("s", 0).join();
            for (int i = 0; i < 4; i++) {
                store.forLog("q").ack("s", i).join();
            }
            // the fifth change (215 bytes) passed 200: the snapshot queued after it holds it, and the
            // change queued after the snapshot is the new journal's first entry
            store.forLog("q").ack("s", 4).join();
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(2, 1));
        }
    }

    @Test
    void shouldHoldBackASecondCompactionUntilTheCheckpointIsRecorded() throws IOException {
        SubscriptionCheckpoint handedOut;
        try (SubscriptionStore store = open(dir, A, null, COMPACT_BYTES)) {
            assertThat(store.durableCheckpoint().generation()).isEqualTo(1);
            store.forLog("q").create("s", 0).join();
            for (int i = 0; i < 40; i++) {
                store.forLog("q").ack("s", i).join();
            }
            handedOut = store.durableCheckpoint();
            assertThat(handedOut.generation()).as("one generation ahead of what a state file may hold").isEqualTo(2);
            assertThat(snapshotGeneration(dir)).isEqualTo(2);

            store.checkpointRecorded(handedOut);
            store.forLog("q").ack("s", 40).join();
            assertThat(store.durableCheckpoint().generation()).isEqualTo(3);
            store.forLog("q").ack("s", 41).join();
            assertThat(store.durableCheckpoint().generation()).isEqualTo(3);
        }
        // a crash now finds generation 3 with the state file at generation 2: accepted
        try (SubscriptionStore store = open(dir, A, handedOut)) {
            assertThat(store.forLog("q").get("s").orElseThrow().committed()).isEqualTo(42);
        }
    }

    @Test
    void shouldHoldBackCompactionsFromTheCheckpointItWasOpenedWith() throws IOException {
        SubscriptionCheckpoint expected;
        try (SubscriptionStore store = open(dir, A, null)) {
            store.forLog("q").create("s", 0).join();
            expected = store.durableCheckpoint();
        }
        try (SubscriptionStore store = open(dir, A, expected, COMPACT_BYTES)) {
            for (int i = 0; i < 40; i++) {
                store.forLog("q").ack("s", i).join();
            }
            assertThat(store.durableCheckpoint().generation()).isEqualTo(expected.generation() + 1);
        }
        try (SubscriptionStore store = open(dir, A, expected)) {
            assertThat(store.forLog("q").get("s").orElseThrow().committed()).isEqualTo(40);
        }
    }

    @Test
    void shouldRefuseARecordedCheckpointThatWasNeverDurable() throws IOException {
        try (SubscriptionStore store = open(dir, A, null)) {
            store.forLog("q").create("s", 0).join();
            assertThatThrownBy(() -> store.checkpointRecorded(new SubscriptionCheckpoint(1, 2)))
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.INVALID_ARGUMENT));
            assertThatThrownBy(() -> store.checkpointRecorded(new SubscriptionCheckpoint(2, 0)))
                    .isInstanceOf(StoreException.class);
            store.checkpointRecorded(new SubscriptionCheckpoint(1, 1));
        }
    }

    @Test
    void shouldRejectNegativeCheckpoints() {
        assertThatThrownBy(() -> new SubscriptionCheckpoint(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SubscriptionCheckpoint(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- property: whatever happens, a reopen with the recorded checkpoint finds every durable change

    /** One step: a change to subscription {@code sub} (or the log), or recording the checkpoint, or a restart. */
    private record Step(String kind, int sub, int offset) {
    }

    private static final Gen<Step> STEPS = Gen.weighted(8,
            random -> new Step("ack", random.nextInt(3), random.nextInt(40)),
            4, Gen.oneOf(
                    random -> new Step("create", random.nextInt(3), random.nextInt(5)),
                    random -> new Step("delete", random.nextInt(3), 0),
                    random -> new Step("deleteLog", 0, 0),
                    random -> new Step("record", 0, 0),
                    random -> new Step("restart", 0, 0)));

    @Test
    void shouldFindEveryDurableChangeWhenReopenedWithTheRecordedCheckpoint() {
        int[] run = {0};
        PropertyCheck.forAllLists(40, STEPS.list(0, 120), steps -> {
            try {
                agreesWithModel(dir.resolve("run-" + run[0]++), steps);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void agreesWithModel(Path dir, List<Step> steps) throws IOException {
        Files.createDirectories(dir);
        Map<String, BitSet> model = new HashMap<>();
        Map<String, Long> starts = new HashMap<>();
        SubscriptionCheckpoint recorded = null;
        SubscriptionStore store = open(dir, A, null, COMPACT_BYTES);
        try {
            for (Step step : steps) {
                Subscriptions subs = store.forLog("q");
                String name = "s" + step.sub();
                switch (step.kind()) {
                    case "create" -> {
                        if (!model.containsKey(name)) {
                            model.put(name, new BitSet());
                            starts.put(name, (long) step.offset());
                        }
                        subs.create(name, step.offset()).join();
                    }
                    case "ack" -> {
                        if (model.containsKey(name)) {
                            model.get(name).set(step.offset());
                            subs.ack(name, step.offset()).join();
                        }
                    }
                    case "delete" -> {
                        model.remove(name);
                        subs.delete(name).join();
                    }
                    case "deleteLog" -> {
                        model.clear();
                        store.deleteLog("q").join();
                    }
                    case "record" -> {
                        recorded = store.durableCheckpoint();
                        store.checkpointRecorded(recorded);
                    }
                    case "restart" -> {
                        store.close();
                        store = open(dir, A, recorded, COMPACT_BYTES);
                    }
                    default -> throw new IllegalStateException(step.kind());
                }
            }
            store.close();
            store = open(dir, A, recorded, COMPACT_BYTES);
            Subscriptions subs = store.forLog("q");
            assertThat(subs.list()).extracting(SubscriptionSnapshot::name)
                    .containsExactlyInAnyOrderElementsOf(model.keySet());
            for (Map.Entry<String, BitSet> sub : model.entrySet()) {
                long start = starts.get(sub.getKey());
                for (int offset = 0; offset < 45; offset++) {
                    assertThat(subs.isAcked(sub.getKey(), offset)).as("%s offset %d", sub.getKey(), offset)
                            .isEqualTo(offset < start || sub.getValue().get(offset));
                }
            }
        } finally {
            store.close();
        }
    }
}
