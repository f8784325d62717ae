package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.utf8;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.FaultyFileLayer;
import org.securebroker.store.record.StoredRecord;

/** The failure rules: no ack after a failed fsync, fail-stop, and a full disk that corrupts nothing. */
class FailureTest {

    @TempDir
    Path dir;

    private final Keyring keyring = TestStores.keyring();
    private final FaultyFileLayer layer = new FaultyFileLayer();

    private static StoreException errorOf(CompletableFuture<?> f) {
        try {
            f.join();
            throw new AssertionError("expected a failure");
        } catch (CompletionException e) {
            return (StoreException) e.getCause();
        }
    }

    private static StoreException.Kind kindOf(CompletableFuture<?> f) {
        return errorOf(f).kind();
    }

    @Test
    void shouldNeverAcknowledgeAfterAFailedFsyncAndRefuseWritesUntilRestart() {
        AtomicReference<StoreException> reported = new AtomicReference<>();
        StoreListener listener = new StoreListener() {
            @Override
            public void onFailure(StoreException failure) {
                reported.set(failure);
            }
        };
        try (Store store = Store.open(config(dir).fileLayer(layer).listener(listener).build(), keyring)) {
            Log log = store.createLog("q");
            TestStores.appendAll(log, "ok", 5);
            layer.failForce.set(true);
            List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                pending.add(log.append(utf8("doomed-" + i)));
            }
            for (CompletableFuture<AppendResult> f : pending) {
                assertThat(kindOf(f)).isEqualTo(StoreException.Kind.FAILED);
            }
            assertThat(store.isWritable()).isFalse();
            assertThat(reported.get()).isNotNull();
            assertThat(reported.get().getMessage()).contains("fsync").contains("restarted");
            // the disk "recovers", but a failed fsync is never retried into an ack
            layer.failForce.set(false);
            assertThat(kindOf(log.append(utf8("after")))).isEqualTo(StoreException.Kind.FAILED);
            assertThat(log.endOffset()).isEqualTo(5);
            assertThat(log.read(0, 100, 1 << 20)).hasSize(5);
        }
        try (Store store = Store.open(config(dir).build(), keyring)) {
            Log log = store.requireLog("q");
            List<StoredRecord> records = log.read(0, 100, 1 << 20);
            assertThat(records).extracting(TestStores::text).startsWith("ok-0", "ok-1", "ok-2", "ok-3", "ok-4");
            assertThat(log.append(utf8("fresh")).join().firstOffset()).isEqualTo(log.endOffset() - 1);
        }
    }

    @Test
    void shouldFailAppendsWithDiskFullAndCorruptNothing() {
        try (Store store = Store.open(config(dir).fileLayer(layer).build(), keyring)) {
            Log log = store.createLog("q");
            TestStores.appendAll(log, "before", 3);
            layer.diskFull.set(true);
            for (int i = 0; i < 3; i++) {
                CompletableFuture<AppendResult> f = log.append(utf8("while-full-" + i));
                assertThatThrownBy(f::join).hasCauseInstanceOf(StoreException.class).hasMessageContaining("is full");
                assertThat(kindOf(f)).isEqualTo(StoreException.Kind.DISK_FULL);
                assertThat(errorOf(f).retriable()).isTrue();
            }
            assertThat(store.health()).isEqualTo(StoreHealth.DISK_FULL);
            assertThat(store.isWritable()).isFalse();
            layer.diskFull.set(false);
            // the refused appends' offsets are not handed out again
            assertThat(log.append(utf8("after")).join().firstOffset()).isGreaterThan(3);
            assertThat(store.health()).isEqualTo(StoreHealth.WRITABLE);
            assertThat(log.read(0, 100, 1 << 20)).extracting(TestStores::text)
                    .containsExactly("before-0", "before-1", "before-2", "after");
        }
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThat(store.recoveryReport().isClean()).as(store.recoveryReport().toString()).isTrue();
            assertThat(store.requireLog("q").read(0, 100, 1 << 20)).extracting(TestStores::text)
                    .containsExactly("before-0", "before-1", "before-2", "after");
        }
    }

    @Test
    void shouldRefuseSubscriptionChangesWhileTheDiskIsFullAndTakeThemAgainByItself() {
        try (Store store = Store.open(config(dir).fileLayer(layer).build(), keyring)) {
            Log log = store.createLog("q");
            log.subscriptions().create("s", 0).join();
            TestStores.appendAll(log, "m", 4);
            log.subscriptions().ack("s", 0).join();
            layer.diskFull.set(true);
            CompletableFuture<Void> refused = log.subscriptions().ack("s", 1);
            assertThatThrownBy(refused::join).hasCauseInstanceOf(StoreException.class);
            assertThat(kindOf(refused)).isEqualTo(StoreException.Kind.DISK_FULL);
            assertThat(store.health()).isEqualTo(StoreHealth.DISK_FULL);
            layer.diskFull.set(false);
            // a probe (at most one a second) finds the space again
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (store.health() != StoreHealth.WRITABLE && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
            }
            assertThat(store.health()).as("writable again without a restart").isEqualTo(StoreHealth.WRITABLE);
            log.subscriptions().ack("s", 2).join();
            log.subscriptions().ack("s", 1).join();
        }
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).isEmpty();
            Log log = store.requireLog("q");
            assertThat(log.subscriptions().isAcked("s", 0)).isTrue();
            assertThat(log.subscriptions().isAcked("s", 1)).isTrue();
            assertThat(log.subscriptions().isAcked("s", 2)).isTrue();
            assertThat(log.subscriptions().isAcked("s", 3)).isFalse();
        }
    }

    @Test
    void shouldFailFastWithOverloadedWhenTooMuchIsPending() {
        try (Store store = Store.open(config(dir).maxBatchBytes(64 * 1024).maxPendingBytes(64 * 1024)
                .maxRecordBytes(16 * 1024).build(), keyring)) {
            Log log = store.createLog("q");
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                futures.add(log.append(java.nio.ByteBuffer.allocate(16 * 1024)));
            }
            long overloaded = futures.stream().filter(CompletableFuture::isCompletedExceptionally)
                    .filter(f -> kindOf(f) == StoreException.Kind.OVERLOADED).count();
            assertThat(overloaded).isPositive();
            long acked = futures.stream().filter(f -> !f.isCompletedExceptionally()).map(CompletableFuture::join).count();
            assertThat(acked).isPositive();
            assertThat(log.endOffset()).isEqualTo(acked);
        }
    }
}
