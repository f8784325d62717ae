package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

/**
 * Random sequences of create / append / read / release / ack / restart / delete against a
 * model: the store must agree with the model after every step, restarts included.
 */
class StorePropertyTest {

    sealed interface Action permits Create, Append, Read, Release, Ack, Restart, Delete {
    }

    record Create(String log) implements Action {
    }

    record Append(String log, List<Integer> sizes) implements Action {
    }

    /** A read; with {@code exactRecords > 0}, maxBytes is exactly the size of that many records. */
    record Read(String log, double from, int maxRecords, int maxBytes, int exactRecords) implements Action {
    }

    record Release(String log, double below) implements Action {
    }

    record Ack(String log, double offset) implements Action {
    }

    record Restart() implements Action {
    }

    record Delete(String log) implements Action {
    }

    /** What a log should hold. */
    static final class ModelLog {
        final List<byte[]> records = new ArrayList<>();
        long start;
        final BitSet acked = new BitSet();
    }

    private static final Gen<String> LOGS = Gen.elements("a", "b", "c");

    private static Gen<Action> actions() {
        Gen<Action> create = LOGS.map(Create::new);
        Gen<Action> append = random -> new Append(LOGS.next(random), Gen.ints(0, 600).list(1, 4).next(random));
        Gen<Action> read = random -> new Read(LOGS.next(random), random.nextDouble(), 1 + random.nextInt(20),
                1 + random.nextInt(5000), random.nextBoolean() ? 0 : 1 + random.nextInt(6));
        Gen<Action> release = random -> new Release(LOGS.next(random), random.nextDouble());
        Gen<Action> ack = random -> new Ack(LOGS.next(random), random.nextDouble());
        Gen<Action> restart = random -> new Restart();
        Gen<Action> delete = LOGS.map(Delete::new);
        return random -> switch (random.nextInt(20)) {
            case 0, 1, 2 -> create.next(random);
            case 3, 4, 5, 6, 7, 8, 9 -> append.next(random);
            case 10, 11, 12, 13 -> read.next(random);
            case 14 -> release.next(random);
            case 15, 16 -> ack.next(random);
            case 17, 18 -> restart.next(random);
            default -> delete.next(random);
        };
    }

    @Test
    void shouldAgreeWithTheModelOverRandomSequences() {
        PropertyCheck.forAllLists(40, actions().list(1, 40), StorePropertyTest::run);
    }

    private static void run(List<Action> actions) {
        Path dir;
        try {
            dir = Files.createTempDirectory("store-property");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Keyring keyring = TestStores.keyring();
        StoreConfig config = TestStores.config(dir).segmentBytes(4096).build();
        Map<String, ModelLog> model = new HashMap<>();
        Store store = Store.open(config, keyring);
        try {
            for (Action action : actions) {
                store = step(store, config, keyring, model, action);
                checkAll(store, model);
            }
        } catch (RuntimeException | Error e) {
            closeAndDelete(store, dir, e);
            throw e;
        }
        closeAndDelete(store, dir, null);
    }

    /**
     * Closes the run's store and deletes its directory. When the run already failed, a failure
     * here is added to that one as suppressed: the property's counterexample must not be replaced
     * by a cleanup error.
     */
    private static void closeAndDelete(Store store, Path dir, Throwable runFailure) {
        RuntimeException cleanupFailure = null;
        try {
            store.close();
            Store.deleteTree(dir);
        } catch (IOException e) {
            cleanupFailure = new UncheckedIOException(e);
        } catch (RuntimeException e) {
            cleanupFailure = e;
        }
        if (cleanupFailure == null) {
            return;
        }
        if (runFailure == null) {
            throw cleanupFailure;
        }
        runFailure.addSuppressed(cleanupFailure);
    }

    private static Store step(Store store, StoreConfig config, Keyring keyring, Map<String, ModelLog> model, Action action) {
        if (action instanceof Create c) {
            if (model.containsKey(c.log())) {
                assertThatThrownBy(() -> store.createLog(c.log())).isInstanceOf(StoreException.class);
            } else {
                store.createLog(c.log()).subscriptions().create("s", 0).join();
                model.put(c.log(), new ModelLog());
            }
        }
        if (action instanceof Append a) {
            ModelLog m = model.get(a.log());
            if (m == null) {
                assertThat(store.log(a.log())).isEmpty();
                return store;
            }
            List<ByteBuffer> payloads = new ArrayList<>();
            for (int size : a.sizes()) {
                byte[] bytes = new byte[size];
                java.util.concurrent.ThreadLocalRandom.current().nextBytes(bytes);
                payloads.add(ByteBuffer.wrap(bytes));
                m.records.add(bytes);
            }
            AppendResult r = store.requireLog(a.log()).append(payloads).join();
            assertThat(r.lastOffset()).isEqualTo(m.records.size() - 1);
        }
        if (action instanceof Read r) {
            ModelLog m = model.get(r.log());
            if (m == null) {
                return store;
            }
            long from = (long) Math.floor(r.from() * (m.records.size() + 1));
            Log log = store.requireLog(r.log());
            if (from < m.start) {
                assertThatThrownBy(() -> log.read(from, r.maxRecords(), r.maxBytes()))
                        .isInstanceOf(StoreException.class);
                return store;
            }
            int maxBytes = r.maxBytes();
            if (r.exactRecords() > 0) {
                maxBytes = 0;
                for (long o = from; o < Math.min(m.records.size(), from + r.exactRecords()); o++) {
                    maxBytes += m.records.get((int) o).length;
                }
                maxBytes = Math.max(1, maxBytes);
            }
            List<StoredRecord> got = log.read(from, r.maxRecords(), maxBytes);
            assertThat(got).extracting(StoredRecord::offset)
                    .containsExactlyElementsOf(expectedOffsets(m, from, r.maxRecords(), maxBytes));
            for (StoredRecord rec : got) {
                assertThat(rec.payload()).isEqualTo(m.records.get((int) rec.offset()));
            }
        }
        if (action instanceof Release rel) {
            ModelLog m = model.get(rel.log());
            if (m == null) {
                return store;
            }
            long below = (long) Math.floor(rel.below() * (m.records.size() + 1));
            store.requireLog(rel.log()).releaseBelow(below);
            m.start = Math.max(m.start, Math.min(below, m.records.size()));
        }
        if (action instanceof Ack ack) {
            ModelLog m = model.get(ack.log());
            if (m == null || m.records.isEmpty()) {
                return store;
            }
            int offset = (int) Math.floor(ack.offset() * m.records.size());
            store.requireLog(ack.log()).subscriptions().ack("s", offset).join();
            m.acked.set(offset);
        }
        if (action instanceof Restart) {
            store.close();
            return Store.open(config, keyring);
        }
        if (action instanceof Delete d) {
            if (model.remove(d.log()) == null) {
                assertThatThrownBy(() -> store.deleteLog(d.log())).isInstanceOf(StoreException.class);
            } else {
                store.deleteLog(d.log());
            }
        }
        return store;
    }

    private static List<Long> expectedOffsets(ModelLog m, long from, int maxRecords, int maxBytes) {
        List<Long> out = new ArrayList<>();
        long bytes = 0;
        for (long o = from; o < m.records.size() && out.size() < maxRecords; o++) {
            int size = m.records.get((int) o).length;
            if (!out.isEmpty() && bytes + size > maxBytes) {
                break;
            }
            out.add(o);
            bytes += size;
        }
        return out;
    }

    private static void checkAll(Store store, Map<String, ModelLog> model) {
        assertThat(store.logNames()).containsExactlyInAnyOrderElementsOf(model.keySet());
        for (Map.Entry<String, ModelLog> e : model.entrySet()) {
            Log log = store.requireLog(e.getKey());
            ModelLog m = e.getValue();
            assertThat(log.endOffset()).isEqualTo(m.records.size());
            assertThat(log.startOffset()).isLessThanOrEqualTo(m.start);
            if (m.start < m.records.size()) {
                StoredRecord first = log.read(m.start, 1, 1).get(0);
                assertThat(first.offset()).isEqualTo(m.start);
                assertThat(Arrays.equals(first.payload(), m.records.get((int) m.start))).isTrue();
            }
            for (int o = m.acked.nextSetBit(0); o >= 0; o = m.acked.nextSetBit(o + 1)) {
                assertThat(log.subscriptions().isAcked("s", o)).as("ack of %d in %s", o, e.getKey()).isTrue();
            }
        }
    }
}
