package org.securebroker.store.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.subscription.SubscriptionTestFiles.A;
import static org.securebroker.store.subscription.SubscriptionTestFiles.B;
import static org.securebroker.store.subscription.SubscriptionTestFiles.JOURNAL_HEADER;
import static org.securebroker.store.subscription.SubscriptionTestFiles.copyDirectory;
import static org.securebroker.store.subscription.SubscriptionTestFiles.entries;
import static org.securebroker.store.subscription.SubscriptionTestFiles.flipBit;
import static org.securebroker.store.subscription.SubscriptionTestFiles.journal;
import static org.securebroker.store.subscription.SubscriptionTestFiles.open;
import static org.securebroker.store.subscription.SubscriptionTestFiles.restore;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshot;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshotGeneration;
import static org.securebroker.store.subscription.SubscriptionTestFiles.snapshotV1;
import static org.securebroker.store.subscription.SubscriptionTestFiles.swap;
import static org.securebroker.store.subscription.SubscriptionTestFiles.truncate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Kek;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.subscription.SubscriptionTestFiles.EntryAt;

/**
 * Every way of editing, rolling back, deleting or splicing the subscription files that open must
 * refuse, and the torn tails it must accept. The files hold log "q", subscription "s" created at 0
 * and acknowledged offset by offset: every entry is 43 bytes, entry 0 the creation, entry i the
 * acknowledgement of offset i - 1.
 */
class SubscriptionIntegrityTest {

    private static final String FIX = "restore the subscriptions/ directory from backup";

    @TempDir
    Path root;

    private Path dir() {
        return root.resolve("subscriptions");
    }

    /**
     * Creates "s" and acknowledges offsets 0 .. acks-1 in a store opened with {@code expected},
     * and returns the checkpoint that was durable after the first {@code checkpointAfter} changes
     * (all of them if it is larger).
     */
    private SubscriptionCheckpoint write(Path dir, SubscriptionCheckpoint expected, int acks, int checkpointAfter)
            throws IOException {
        SubscriptionCheckpoint checkpoint;
        try (SubscriptionStore store = open(dir, A, expected)) {
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).join();
            checkpoint = store.durableCheckpoint();
            for (int i = 0; i < acks; i++) {
                if (i + 1 == checkpointAfter) {
                    checkpoint = store.durableCheckpoint();
                }
                subs.ack("s", i).join();
            }
            if (acks + 1 <= checkpointAfter) {
                checkpoint = store.durableCheckpoint();
            }
        }
        return checkpoint;
    }

    private SubscriptionCheckpoint writeAll(int acks) throws IOException {
        return write(dir(), null, acks, Integer.MAX_VALUE);
    }

    private void assertRefused(SubscriptionCheckpoint expected, Path file, String what) {
        assertThatThrownBy(() -> open(dir(), A, expected).close())
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StoreException.Kind.CORRUPTED_METADATA);
                    assertThat(e.getMessage()).contains(file.toString()).contains(what).contains(FIX);
                });
    }

    private void assertAcked(SubscriptionStore store, int throughExclusive, int ackedOffsetsWritten) {
        Subscriptions subs = store.forLog("q");
        assertThat(subs.get("s").orElseThrow().committed()).isEqualTo(throughExclusive);
        assertThat(subs.isAcked("s", ackedOffsetsWritten - 1)).isEqualTo(throughExclusive >= ackedOffsetsWritten);
    }

    // ---- round trip

    @Test
    void shouldReopenWithTheStateAndCheckpointItWroteAcrossCompactions() throws IOException {
        SubscriptionCheckpoint checkpoint;
        try (SubscriptionStore store = open(dir(), A, null, 200)) {
            Subscriptions subs = store.forLog("q");
            subs.create("s", 0).join();
            subs.create("t", 100).join();
            store.forLog("other").create("x", 0).join();
            for (int i = 0; i < 30; i += 2) {
                subs.ack("s", i).join();
            }
            subs.ackRange("t", 100, 110).join();
            subs.delete("t").join();
            store.deleteLog("other").join();
            checkpoint = store.durableCheckpoint();
            store.checkpointRecorded(checkpoint);
            subs.ack("s", 1).join();
            checkpoint = store.durableCheckpoint();
        }
        assertThat(checkpoint.generation()).as("compacted at least once").isGreaterThan(1);
        assertThat(snapshotGeneration(dir())).isEqualTo(checkpoint.generation());
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertThat(store.durableCheckpoint()).isEqualTo(checkpoint);
            assertThat(store.truncatedBytes()).isZero();
            assertThat(store.logNames()).containsExactly("q");
            Subscriptions subs = store.forLog("q");
            assertThat(subs.list()).extracting(SubscriptionSnapshot::name).containsExactly("s");
            assertThat(subs.get("s").orElseThrow().committed()).isEqualTo(3);
            assertThat(subs.isAcked("s", 3)).isFalse();
            assertThat(subs.isAcked("s", 4)).isTrue();
            assertThat(subs.isAcked("s", 28)).isTrue();
            assertThat(subs.isAcked("s", 29)).isFalse();
        }
    }

    // ---- the snapshot

    @Test
    void shouldRefuseEveryBitFlipInTheSnapshot() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        int size = (int) Files.size(snapshot(dir()));
        // the KEK id and the key check select the key: damage there reads as a key the keyring lacks
        int keyFrom = 4 + 1 + 8 + 2;
        int keyTo = keyFrom + "kek-a".length() + 8;
        for (int offset = 0; offset < size; offset++) {
            flipBit(snapshot(dir()), offset, offset % 8);
            int at = offset;
            assertThatThrownBy(() -> open(dir(), A, checkpoint).close()).as("bit flipped at %d", offset)
                    .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(
                            at >= keyFrom && at < keyTo ? StoreException.Kind.KEY_ERROR
                                    : StoreException.Kind.CORRUPTED_METADATA));
            flipBit(snapshot(dir()), offset, offset % 8);
        }
        open(dir(), A, checkpoint).close();
    }

    @Test
    void shouldRefuseASnapshotWhoseTagFails() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        flipBit(snapshot(dir()), (int) Files.size(snapshot(dir())) - 1, 0);
        assertRefused(checkpoint, snapshot(dir()), "fails its authentication tag");
    }

    @Test
    void shouldRefuseAMissingSnapshot() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        Files.delete(snapshot(dir()));
        assertRefused(checkpoint, snapshot(dir()), "is missing");
    }

    @Test
    void shouldRefuseAnEmptiedDirectoryRatherThanStartOverEmpty() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        Files.delete(snapshot(dir()));
        Files.delete(journal(dir(), checkpoint.generation()));
        assertRefused(checkpoint, snapshot(dir()), "is missing, but the store's state file records generation 1");
    }

    @Test
    void shouldRefuseAVersion1SnapshotOnceACheckpointExists() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        Files.write(snapshot(dir()), snapshotV1(checkpoint.generation(), "q", "s", 50, 60, 61));
        assertRefused(checkpoint, snapshot(dir()), "format version 1");
    }

    @Test
    void shouldNameTheKekTheFilesNeedWhenTheKeyringLacksIt() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        assertThatThrownBy(() -> open(dir(), B, checkpoint).close())
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StoreException.Kind.KEY_ERROR);
                    assertThat(e.getMessage()).contains("'kek-a'").contains(snapshot(dir()).toString());
                });
    }

    @Test
    void shouldTellAnotherKeyUnderTheSameKekIdFromAnEditedFile() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        byte[] otherBytes = new byte[32];
        Arrays.fill(otherBytes, (byte) 0x33);
        Keyring sameIdOtherKey = Keyring.of(Kek.of("kek-a", otherBytes));
        assertThatThrownBy(() -> open(dir(), sameIdOtherKey, checkpoint).close())
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StoreException.Kind.KEY_ERROR);
                    assertThat(e.getMessage()).contains("'kek-a'").contains("key check does not match")
                            .contains(snapshot(dir()).toString());
                });
    }

    // ---- the journal: damage within the checkpoint

    @Test
    void shouldRefuseEveryBitFlipInTheCheckpointedJournal() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        Path journal = journal(dir(), checkpoint.generation());
        int size = (int) Files.size(journal);
        assertThat(size).isEqualTo(JOURNAL_HEADER + 4 * 43);
        for (int offset = 0; offset < size; offset++) {
            flipBit(journal, offset, offset % 8);
            assertThatThrownBy(() -> open(dir(), A, checkpoint).close()).as("bit flipped at %d", offset)
                    .isInstanceOfSatisfying(StoreException.class,
                            e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.CORRUPTED_METADATA));
            flipBit(journal, offset, offset % 8);
        }
        open(dir(), A, checkpoint).close();
    }

    @Test
    void shouldRefuseAnEarlyEntryWithAFlippedBit() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(5);
        Path journal = journal(dir(), checkpoint.generation());
        flipBit(journal, entries(journal).get(1).offset() + 10, 3);
        assertRefused(checkpoint, journal, "holds entry 2 (at byte 56), which fails its authentication tag");
    }

    @Test
    void shouldRefuseTheLastCheckpointedEntryWithAFlippedBit() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(5);
        Path journal = journal(dir(), checkpoint.generation());
        flipBit(journal, entries(journal).get(5).offset() + 20, 0);
        assertRefused(checkpoint, journal, "records 6 durable entries");
    }

    @Test
    void shouldRefuseAJournalShortenedAtAnEntryBoundaryBelowTheCheckpoint() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(5);
        Path journal = journal(dir(), checkpoint.generation());
        truncate(journal, entries(journal).get(4).offset());
        assertRefused(checkpoint, journal, "ends after 4 entries, but the store's state file records 6 durable "
                + "entries in it: it was shortened or rolled back");
    }

    @Test
    void shouldRefuseSwappedEntriesBelowTheCheckpoint() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(5);
        Path journal = journal(dir(), checkpoint.generation());
        List<EntryAt> entries = entries(journal);
        swap(journal, entries.get(2), entries.get(3));
        assertRefused(checkpoint, journal, "holds entry 3");
    }

    @Test
    void shouldRefuseAMissingJournalWhenTheCheckpointHasEntriesInIt() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(2);
        Files.delete(journal(dir(), checkpoint.generation()));
        assertRefused(checkpoint, journal(dir(), checkpoint.generation()), "is missing, but the store's state file "
                + "records 3 durable entries");
    }

    @Test
    void shouldRecreateAMissingJournalWhenTheCheckpointHasNoEntriesInIt() throws IOException {
        // a crash after a compaction's snapshot, before its journal was created
        SubscriptionCheckpoint checkpoint;
        try (SubscriptionStore store = open(dir(), A, null)) {
            checkpoint = store.durableCheckpoint();
        }
        Files.delete(journal(dir(), checkpoint.generation()));
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            store.forLog("q").create("s", 0).join();
        }
        assertThat(entries(journal(dir(), checkpoint.generation()))).hasSize(1);
    }

    @Test
    void shouldRefuseAnEntrySplicedFromAnotherStoreUnderTheSameKek() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(4);
        Path other = root.resolve("other");
        try (SubscriptionStore store = open(other, A, null)) {
            store.forLog("q").create("s", 0).join();
            for (int i = 10; i < 14; i++) {
                store.forLog("q").ack("s", i).join();
            }
        }
        Path journal = journal(dir(), checkpoint.generation());
        Path otherJournal = journal(other, checkpoint.generation());
        EntryAt target = entries(journal).get(3);
        byte[] spliced = Files.readAllBytes(otherJournal);
        byte[] bytes = Files.readAllBytes(journal);
        System.arraycopy(spliced, target.offset(), bytes, target.offset(), target.length());
        Files.write(journal, bytes);

        assertRefused(checkpoint, journal, "holds entry 4");
    }

    @Test
    void shouldRefuseTheJournalOfAnotherGenerationRelabelled() throws IOException {
        SubscriptionCheckpoint first = writeAll(2);
        byte[] oldJournal = Files.readAllBytes(journal(dir(), first.generation()));
        SubscriptionCheckpoint later;
        try (SubscriptionStore store = open(dir(), A, first, 200)) {
            for (int i = 2; i < 8; i++) {
                store.forLog("q").ack("s", i).join();
            }
            later = store.durableCheckpoint();
        }
        assertThat(later).isEqualTo(new SubscriptionCheckpoint(first.generation() + 1, 4));
        // the old journal's entries, under the new generation's name and header
        ByteBuffer.wrap(oldJournal).putLong(5, later.generation());
        Files.write(journal(dir(), later.generation()), oldJournal);
        assertRefused(later, journal(dir(), later.generation()), "holds entry 1 (at byte 13), which fails its "
                + "authentication tag");
    }

    // ---- rollbacks

    @Test
    void shouldRefuseAnOlderCopyOfTheSameGeneration() throws IOException {
        SubscriptionCheckpoint first = writeAll(2);
        Path backup = root.resolve("backup");
        copyDirectory(dir(), backup);
        SubscriptionCheckpoint later;
        try (SubscriptionStore store = open(dir(), A, first)) {
            store.forLog("q").ack("s", 2).join();
            later = store.durableCheckpoint();
        }
        restore(backup, dir());
        assertRefused(later, journal(dir(), later.generation()), "shortened or rolled back");
    }

    @Test
    void shouldRefuseAnOlderCopyOfAnEarlierGeneration() throws IOException {
        SubscriptionCheckpoint first = writeAll(2);
        Path backup = root.resolve("backup");
        copyDirectory(dir(), backup);
        SubscriptionCheckpoint later;
        try (SubscriptionStore store = open(dir(), A, first, 200)) {
            for (int i = 2; i < 10; i++) {
                store.forLog("q").ack("s", i).join();
            }
            later = store.durableCheckpoint();
        }
        assertThat(later.generation()).isEqualTo(first.generation() + 1);
        restore(backup, dir());
        assertRefused(later, snapshot(dir()), "is generation 1, older than generation 2 that the store's state file "
                + "records: it was rolled back");
    }

    @Test
    void shouldAcceptASnapshotOneGenerationAheadOfTheCheckpoint() throws IOException {
        SubscriptionCheckpoint first = writeAll(2);
        try (SubscriptionStore store = open(dir(), A, first, 200)) {
            for (int i = 2; i < 10; i++) {
                store.forLog("q").ack("s", i).join();
            }
        }
        assertThat(snapshotGeneration(dir())).isEqualTo(first.generation() + 1);
        try (SubscriptionStore store = open(dir(), A, first)) {
            assertAcked(store, 10, 10);
        }
    }

    @Test
    void shouldRefuseASnapshotTwoGenerationsAheadOfTheCheckpoint() throws IOException {
        SubscriptionCheckpoint first = writeAll(2);
        try (SubscriptionStore store = open(dir(), A, null, 200)) {
            for (int i = 2; i < 30; i++) {
                store.forLog("q").ack("s", i).join();
            }
        }
        assertThat(snapshotGeneration(dir())).isGreaterThan(first.generation() + 1);
        assertRefused(first, snapshot(dir()), "no compaction goes further than one generation ahead");
    }

    @Test
    void shouldRefuseAJournalNewerThanTheSnapshot() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(2);
        Path newer = journal(dir(), checkpoint.generation() + 1);
        Files.write(newer, ByteBuffer.allocate(JOURNAL_HEADER).put("BSUJ".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 2).putLong(checkpoint.generation() + 1).array());
        assertRefused(checkpoint, newer, "is newer than the snapshot");
    }

    @Test
    void shouldDeleteJournalsOfOlderGenerations() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(2);
        Path older = journal(dir(), checkpoint.generation() - 1);
        Files.write(older, new byte[] {1, 2, 3});
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertAcked(store, 2, 2);
        }
        assertThat(older).doesNotExist();
    }

    @Test
    void shouldRefuseAVersion2JournalWithoutItsSnapshotEvenWithoutACheckpoint() throws IOException {
        writeAll(2);
        Files.delete(snapshot(dir()));
        assertRefused(null, snapshot(dir()), "is a version 2 journal");
    }

    // ---- the journal after the checkpoint: torn tails, and edits that are not

    @Test
    void shouldTruncateADamagedLastEntryAfterTheCheckpoint() throws IOException {
        SubscriptionCheckpoint checkpoint = write(dir(), null, 4, 3);
        assertThat(checkpoint.entries()).isEqualTo(3);
        Path journal = journal(dir(), checkpoint.generation());
        EntryAt last = entries(journal).get(4);
        flipBit(journal, last.offset() + 20, 5);
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertThat(store.truncatedBytes()).isEqualTo(last.length());
            assertThat(store.durableCheckpoint()).isEqualTo(new SubscriptionCheckpoint(checkpoint.generation(), 4));
            assertAcked(store, 3, 4);
        }
        assertThat(Files.size(journal)).isEqualTo(last.offset());
    }

    @Test
    void shouldTruncateAnIncompleteLastEntry() throws IOException {
        SubscriptionCheckpoint checkpoint = write(dir(), null, 4, 3);
        Path journal = journal(dir(), checkpoint.generation());
        EntryAt last = entries(journal).get(4);
        truncate(journal, last.offset() + 30);
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertThat(store.truncatedBytes()).isEqualTo(30);
            assertAcked(store, 3, 4);
            store.forLog("q").ack("s", 3).join();
        }
        try (SubscriptionStore store = open(dir(), A, new SubscriptionCheckpoint(checkpoint.generation(), 5))) {
            assertAcked(store, 4, 4);
        }
    }

    @Test
    void shouldTruncateZerosLeftAfterTheLastEntry() throws IOException {
        SubscriptionCheckpoint checkpoint = writeAll(3);
        Path journal = journal(dir(), checkpoint.generation());
        Files.write(journal, SubscriptionTestFiles.concat(Files.readAllBytes(journal), new byte[4096]));
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertThat(store.truncatedBytes()).isEqualTo(4096);
            assertAcked(store, 3, 3);
        }
    }

    @Test
    void shouldRefuseADamagedEntryFollowedByAuthenticOnesAfterTheCheckpoint() throws IOException {
        SubscriptionCheckpoint checkpoint = write(dir(), null, 6, 2);
        Path journal = journal(dir(), checkpoint.generation());
        flipBit(journal, entries(journal).get(4).offset() + 25, 1);
        assertRefused(checkpoint, journal, "followed by an authentic entry");
    }

    @Test
    void shouldRefuseSwappedEntriesAfterTheCheckpoint() throws IOException {
        SubscriptionCheckpoint checkpoint = write(dir(), null, 6, 2);
        Path journal = journal(dir(), checkpoint.generation());
        List<EntryAt> entries = entries(journal);
        swap(journal, entries.get(5), entries.get(6));
        assertRefused(checkpoint, journal, "followed by an authentic entry");
    }

    @Test
    void shouldRefuseARemovedEntryAfterTheCheckpoint() throws IOException {
        SubscriptionCheckpoint checkpoint = write(dir(), null, 6, 2);
        Path journal = journal(dir(), checkpoint.generation());
        EntryAt removed = entries(journal).get(4);
        byte[] bytes = Files.readAllBytes(journal);
        Files.write(journal, SubscriptionTestFiles.concat(Arrays.copyOfRange(bytes, 0, removed.offset()),
                Arrays.copyOfRange(bytes, removed.end(), bytes.length)));
        assertRefused(checkpoint, journal, "followed by an authentic entry");
    }

    @Test
    void shouldNeverApplyAnEntrySplicedIntoTheTailFromAnotherStore() throws IOException {
        SubscriptionCheckpoint checkpoint = write(dir(), null, 3, 2);
        Path other = root.resolve("other");
        try (SubscriptionStore store = open(other, A, null)) {
            store.forLog("q").create("s", 0).join();
            store.forLog("q").ack("s", 10).join();
            store.forLog("q").ack("s", 11).join();
            store.forLog("q").ack("s", 12).join();
            store.forLog("q").ack("s", 50).join();
        }
        Path journal = journal(dir(), checkpoint.generation());
        EntryAt foreign = entries(journal(other, checkpoint.generation())).get(4);
        byte[] spliced = Arrays.copyOfRange(Files.readAllBytes(journal(other, checkpoint.generation())),
                foreign.offset(), foreign.end());
        Files.write(journal, SubscriptionTestFiles.concat(Files.readAllBytes(journal), spliced));
        try (SubscriptionStore store = open(dir(), A, checkpoint)) {
            assertThat(store.truncatedBytes()).isEqualTo(foreign.length());
            assertThat(store.forLog("q").isAcked("s", 50)).isFalse();
            assertAcked(store, 3, 3);
        }
    }
}
