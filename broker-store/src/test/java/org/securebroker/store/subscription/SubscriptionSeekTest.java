package org.securebroker.store.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.subscription.SubscriptionTestFiles.A;
import static org.securebroker.store.subscription.SubscriptionTestFiles.JOURNAL_HEADER;
import static org.securebroker.store.subscription.SubscriptionTestFiles.entries;
import static org.securebroker.store.subscription.SubscriptionTestFiles.flipBit;
import static org.securebroker.store.subscription.SubscriptionTestFiles.journal;
import static org.securebroker.store.subscription.SubscriptionTestFiles.open;
import static org.securebroker.store.subscription.SubscriptionTestFiles.truncate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.subscription.SubscriptionTestFiles.EntryAt;

/**
 * A seek moves a subscription in one journal entry: below the position acknowledged, at and above
 * it nothing. It survives a restart by replay and by snapshot, a torn seek entry is cut like any
 * torn tail, and an edited one is refused.
 */
class SubscriptionSeekTest {

    @TempDir
    Path root;

    private Path dir() {
        return root.resolve("subscriptions");
    }

    /** "s" created at 0, offsets 0..9 and 15..19 acknowledged, then a seek to {@code position}. */
    private SubscriptionCheckpoint writeWithSeek(long position, long compactBytes) throws IOException {
        try (SubscriptionStore store = open(dir(), A, null, compactBytes)) {
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).join();
            subs.ackRange("s", 0, 10).join();
            subs.ackRange("s", 15, 20).join();
            subs.seek("s", position).join();
            return store.durableCheckpoint();
        }
    }

    private static void assertSeekedTo(Subscriptions subs, long position) {
        SubscriptionSnapshot s = subs.get("s").orElseThrow();
        assertThat(s.committed()).isEqualTo(position);
        assertThat(s.ackedAbove()).isEmpty();
        assertThat(subs.isAcked("s", position - 1)).isTrue();
        assertThat(subs.isAcked("s", position)).isFalse();
        assertThat(subs.isAcked("s", 17)).as("an acknowledgement above the position is forgotten").isFalse();
    }

    @Test
    void shouldAcknowledgeBelowAndForgetAcknowledgementsAtOrAboveThePosition() throws IOException {
        try (SubscriptionStore store = open(dir(), A, null)) {
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).join();
            subs.ackRange("s", 0, 10).join();
            subs.ackRange("s", 15, 20).join();
            subs.seek("s", 4).join();
            assertSeekedTo(subs, 4);
            assertThat(subs.lowWaterMark(0)).isEqualTo(4);

            subs.seek("s", 12).join();
            assertThat(subs.get("s").orElseThrow().committed()).as("ahead too").isEqualTo(12);
            assertThat(subs.isAcked("s", 11)).isTrue();
        }
    }

    @Test
    void shouldWriteASeekAsOneJournalEntry() throws IOException {
        SubscriptionCheckpoint checkpoint = writeWithSeek(4, SubscriptionTestFiles.NO_COMPACTION);
        assertThat(checkpoint.entries()).as("create, two acks, one seek").isEqualTo(4);
        assertThat(entries(journal(dir(), checkpoint.generation()))).hasSize(4);
    }

    @Test
    void shouldReplayASeekAfterARestart() throws IOException {
        SubscriptionCheckpoint checkpoint = writeWithSeek(4, SubscriptionTestFiles.NO_COMPACTION);
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertThat(store.truncatedBytes()).isZero();
            assertSeekedTo(store.forLog("q"), 4);
        }
    }

    @Test
    void shouldKeepASeekInTheSnapshotOfACompaction() throws IOException {
        SubscriptionCheckpoint checkpoint;
        try (SubscriptionStore store = open(dir(), A, null, 100)) {
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).join();
            subs.ackRange("s", 0, 10).join();
            subs.ackRange("s", 15, 20).join();
            subs.seek("s", 4).join();
            store.checkpointRecorded(store.durableCheckpoint());
            subs.create("t", 0).join();
            checkpoint = store.durableCheckpoint();
        }
        assertThat(checkpoint.generation()).as("compacted").isGreaterThan(1);
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertSeekedTo(store.forLog("q"), 4);
        }
    }

    @Test
    void shouldCutATornSeekEntryAndKeepTheStateBeforeIt() throws IOException {
        SubscriptionCheckpoint before;
        try (SubscriptionStore store = open(dir(), A, null)) {
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).join();
            subs.ackRange("s", 0, 10).join();
            before = store.durableCheckpoint();
            subs.seek("s", 2).join();
        }
        Path journal = journal(dir(), before.generation());
        EntryAt seek = entries(journal).get(2);
        truncate(journal, seek.offset() + seek.length() - 3); // a crash in the middle of writing it
        try (SubscriptionStore store = open(dir(), A, before)) {
            assertThat(store.truncatedBytes()).isEqualTo(seek.length() - 3);
            Subscriptions subs = store.forLog("q");
            assertThat(subs.get("s").orElseThrow().committed()).as("the seek was never durable").isEqualTo(10);
        }
    }

    @Test
    void shouldRefuseAnEditedSeekEntryWithinTheCheckpoint() throws IOException {
        SubscriptionCheckpoint checkpoint = writeWithSeek(4, SubscriptionTestFiles.NO_COMPACTION);
        Path journal = journal(dir(), checkpoint.generation());
        EntryAt seek = entries(journal).get(3);
        // the position's last byte: an attacker moving the cursor ahead to skip messages
        int positionLastByte = seek.offset() + seek.length() - SubscriptionTestFiles.TAG - 8 - 1;
        flipBit(journal, positionLastByte, 4);
        assertThatThrownBy(() -> open(dir(), A, checkpoint).close())
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StoreException.Kind.CORRUPTED_METADATA);
                    assertThat(e.getMessage()).contains("entry 4").contains("fails its authentication tag");
                });
        assertThat(Files.size(journal)).as("nothing cut").isEqualTo(JOURNAL_HEADER + entries(journal).stream()
                .mapToInt(EntryAt::length).sum());
    }

    @Test
    void shouldRefuseANegativePosition() throws IOException {
        try (SubscriptionStore store = open(dir(), A, null)) {
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).join();
            assertThatThrownBy(() -> subs.seek("s", -1)).isInstanceOfSatisfying(StoreException.class,
                    e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.INVALID_ARGUMENT));
            assertThatThrownBy(() -> subs.seek("missing", 0)).isInstanceOfSatisfying(StoreException.class,
                    e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.SUBSCRIPTION_NOT_FOUND));
            assertThat(subs.get("s").orElseThrow().ackedAbove()).isEqualTo(List.<OffsetRange>of());
        }
    }
}
