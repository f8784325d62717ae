package org.securebroker.store.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.subscription.SubscriptionTestFiles.A;
import static org.securebroker.store.subscription.SubscriptionTestFiles.A_THEN_B;
import static org.securebroker.store.subscription.SubscriptionTestFiles.B;
import static org.securebroker.store.subscription.SubscriptionTestFiles.open;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshotKekId;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Kek;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;

/**
 * KEK rotation: files are read under the KEK they name, the next compaction moves them to the
 * current KEK, and a KEK stays required while any file uses it.
 */
class SubscriptionKeyRotationTest {

    private static final long COMPACT_BYTES = 200;

    @TempDir
    Path dir;

    private SubscriptionCheckpoint writeUnderA() throws IOException {
        try (SubscriptionStore store = open(dir, A, null)) {
            store.forLog("q").create("s", 0).join();
            store.forLog("q").ack("s", 0).join();
            assertThat(store.kekIdsInUse()).containsExactly("kek-a");
            return store.durableCheckpoint();
        }
    }

    @Test
    void shouldReopenUnderANewCurrentKekAndMoveTheStateToItAtTheNextCompaction() throws IOException {
        SubscriptionCheckpoint underA = writeUnderA();
        SubscriptionCheckpoint underB;
        try (SubscriptionStore store = open(dir, A_THEN_B, underA)) {
            store.forLog("q").ack("s", 1).join(); // queued after the compaction that open started
            assertThat(store.kekIdsInUse()).containsExactly("kek-b");
            assertThat(store.forLog("q").get("s").orElseThrow().committed()).isEqualTo(2);
            underB = store.durableCheckpoint();
        }
        assertThat(underB.generation()).isEqualTo(underA.generation() + 1);
        assertThat(snapshotKekId(dir)).isEqualTo("kek-b");
        try (SubscriptionStore store = open(dir, B, underB)) {
            assertThat(store.forLog("q").get("s").orElseThrow().committed()).isEqualTo(2);
        }
    }

    @Test
    void shouldMoveTheStateToTheNewKekWhenTheKeyringIsUpdated() throws IOException {
        try (SubscriptionStore store = open(dir, A, null)) {
            store.forLog("q").create("s", 0).join();
            store.updateKeyring(A_THEN_B);
            store.forLog("q").ack("s", 0).join();
            assertThat(store.kekIdsInUse()).containsExactly("kek-b");
        }
        assertThat(snapshotKekId(dir)).isEqualTo("kek-b");
        try (SubscriptionStore store = open(dir, B, null)) {
            assertThat(store.forLog("q").get("s").orElseThrow().committed()).isEqualTo(1);
        }
    }

    @Test
    void shouldRefuseAKeyringWithoutTheKekInUse() throws IOException {
        try (SubscriptionStore store = open(dir, A, null)) {
            store.forLog("q").create("s", 0).join();
            assertThatThrownBy(() -> store.updateKeyring(B)).isInstanceOfSatisfying(StoreException.class, e -> {
                assertThat(e.kind()).isEqualTo(StoreException.Kind.KEY_ERROR);
                assertThat(e.getMessage()).contains("'kek-a'");
            });
            store.forLog("q").ack("s", 0).join();
            assertThat(store.kekIdsInUse()).containsExactly("kek-a");
        }
        assertThat(snapshotKekId(dir)).isEqualTo("kek-a");
    }

    @Test
    void shouldRefuseAKeyringWithAnotherKeyUnderTheIdInUse() throws IOException {
        byte[] otherBytes = new byte[32];
        Arrays.fill(otherBytes, (byte) 0x44);
        Keyring impostor = Keyring.of(List.of(Kek.of("kek-a", otherBytes), SubscriptionTestFiles.KEK_B), "kek-b");
        try (SubscriptionStore store = open(dir, A, null)) {
            store.forLog("q").create("s", 0).join();
            assertThatThrownBy(() -> store.updateKeyring(impostor)).isInstanceOfSatisfying(StoreException.class, e -> {
                assertThat(e.kind()).isEqualTo(StoreException.Kind.KEY_ERROR);
                assertThat(e.getMessage()).contains("another key under KEK id 'kek-a'");
            });
            store.forLog("q").ack("s", 0).join();
            assertThat(store.kekIdsInUse()).containsExactly("kek-a");
        }
    }

    @Test
    void shouldKeepTheOldKekInUseWhileTheCompactionToTheNewOneIsHeldBack() throws IOException {
        SubscriptionCheckpoint underA = writeUnderA();
        try (SubscriptionStore store = open(dir, A, underA, COMPACT_BYTES)) {
            for (int i = 1; i < 10; i++) {
                store.forLog("q").ack("s", i).join();
            }
        }
        // the snapshot is now a generation ahead of the checkpoint: the next compaction waits for the state file
        try (SubscriptionStore store = open(dir, A_THEN_B, underA)) {
            store.forLog("q").ack("s", 10).join();
            assertThat(store.kekIdsInUse()).containsExactly("kek-a");
        }
        assertThatThrownBy(() -> open(dir, B, underA).close()).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.getMessage()).contains("'kek-a'"));
        try (SubscriptionStore store = open(dir, A_THEN_B, underA)) {
            store.checkpointRecorded(store.durableCheckpoint());
            store.forLog("q").ack("s", 11).join();
            assertThat(store.kekIdsInUse()).containsExactly("kek-b");
        }
        assertThat(snapshotKekId(dir)).isEqualTo("kek-b");
    }
}
