package org.securebroker.store.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FaultyFileLayer;

/** Subscription state while a snapshot is written: acknowledgements go on, failures stop everything. */
class SubscriptionStoreTest {

    /** A journal entry for log "q", subscription "s" is 43 bytes: the 6th change passes this. */
    private static final long COMPACT_BYTES = 256;

    @TempDir
    Path dir;

    private final FaultyFileLayer layer = new FaultyFileLayer();

    private static boolean isSnapshot(Path file) {
        return file.getFileName().toString().equals("snapshot.tmp");
    }

    @Test
    void shouldAcknowledgeWhileASnapshotIsBeingForced() throws Exception {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        CompletableFuture<Void> during;
        try (SubscriptionStore store = SubscriptionStore.open(dir, layer, Duration.ZERO, COMPACT_BYTES, e -> { },
                SubscriptionTestFiles.A, null)) {
            FaultyFileLayer.Gate gate = layer.holdForces(SubscriptionStoreTest::isSnapshot);
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 20; i++) {
                acks.add(subs.ack("s", i));
            }
            gate.awaitForcing(); // the writer holds the snapshot in its fsync

            during = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> subs.ack("s", 100),
                    "an acknowledgement waited for the snapshot's fsync");
            assertThat(subs.isAcked("s", 100)).isTrue();
            assertThat(subs.lowWaterMark(0)).isEqualTo(20);
            assertThat(during).as("durable only after the snapshot round").isNotDone();

            gate.release();
            during.get(10, TimeUnit.SECONDS);
            for (CompletableFuture<Void> f : acks) {
                f.get(10, TimeUnit.SECONDS);
            }
        }
        assertThat(dir.resolve("snapshot")).exists();
        try (SubscriptionStore reopened = SubscriptionStore.open(dir, DefaultFileLayer.INSTANCE, Duration.ZERO,
                COMPACT_BYTES, e -> { }, SubscriptionTestFiles.A, null)) {
            Subscriptions subs = reopened.forLog("q");
            assertThat(subs.get("s").orElseThrow().committed()).isEqualTo(20);
            assertThat(subs.isAcked("s", 100)).isTrue();
            assertThat(subs.isAcked("s", 99)).isFalse();
        }
    }

    @Test
    void shouldFailEveryPendingChangeAndRefuseLaterOnesWhenASnapshotCannotBeForced() throws Exception {
        AtomicReference<StoreException> reported = new AtomicReference<>();
        try (SubscriptionStore store = SubscriptionStore.open(dir, layer, Duration.ZERO, COMPACT_BYTES, reported::set,
                SubscriptionTestFiles.A, null)) {
            FaultyFileLayer.Gate gate = layer.holdForces(SubscriptionStoreTest::isSnapshot);
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).get(10, TimeUnit.SECONDS);
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                acks.add(subs.ack("s", i));
            }
            gate.awaitForcing();
            layer.failForce.set(true);
            CompletableFuture<Void> queued = subs.ack("s", 100);
            gate.release();

            assertThatThrownBy(() -> queued.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("refuses writes until it is restarted");
            assertThat(acks.get(acks.size() - 1)).isCompletedExceptionally();
            assertThat(reported.get()).isNotNull();
            assertThat(reported.get().kind()).isEqualTo(StoreException.Kind.FAILED);
            layer.failForce.set(false);
            assertThat(subs.ack("s", 101)).as("refused at once").isCompletedExceptionally();
        }
        assertThat(SubscriptionTestFiles.snapshotGeneration(dir)).as("the snapshot open wrote, never replaced")
                .isEqualTo(1);
    }
}
