package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.store.TestStores.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Kek;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.DefaultFileLayer;

/** KEK rotation with rewrap, and crypto-shredding of deleted logs. */
class KeyLifecycleTest {

    @TempDir
    Path dir;

    @Test
    void shouldRewrapEveryDataKeyWithoutRewritingSegmentsSoTheOldKekCanBeRetired() throws Exception {
        Path store = dir.resolve("store");
        Path keyFile = dir.resolve("kek.keys");
        Keyring first = KeyringFile.create(DefaultFileLayer.INSTANCE, keyFile, new SecureRandom(), Clock.systemUTC());
        try (Store s = Store.open(config(store).segmentBytes(4096).build(), first)) {
            TestStores.appendAll(s.createLog("a"), "a", 100);
            TestStores.appendAll(s.createLog("b"), "b", 10);
        }
        List<byte[]> segmentsBefore = new ArrayList<>();
        for (Path p : TestStores.segmentFiles(store, "a")) {
            segmentsBefore.add(Files.readAllBytes(p));
        }
        Keyring rotated = KeyringFile.rotate(DefaultFileLayer.INSTANCE, keyFile, new SecureRandom(), Clock.systemUTC());
        try (Store s = Store.open(config(store).segmentBytes(4096).build(), rotated)) {
            assertThat(s.kekIdsInUse()).contains(first.current().id());
            List<int[]> progress = new ArrayList<>();
            int moved = s.rewrapDataKeys((done, all) -> progress.add(new int[] {done, all}));
            assertThat(moved).isGreaterThan(2);
            assertThat(progress).hasSize(2);
            assertThat(s.kekIdsInUse()).containsExactly(rotated.current().id());
            TestStores.appendAll(s.requireLog("a"), "after", 5);
        }
        List<Path> segmentsAfter = TestStores.segmentFiles(store, "a");
        for (int i = 0; i < segmentsBefore.size() - 1; i++) {
            assertThat(Files.readAllBytes(segmentsAfter.get(i))).as("segments are not rewritten").isEqualTo(segmentsBefore.get(i));
        }
        Keyring onlyNew = Keyring.of(rotated.current());
        try (Store s = Store.open(config(store).segmentBytes(4096).build(), onlyNew)) {
            assertThat(s.requireLog("a").read(0, 1000, 1 << 20)).hasSize(105);
            assertThat(s.requireLog("b").read(0, 1000, 1 << 20)).hasSize(10);
        }
    }

    @Test
    void shouldRefuseAKeyringThatDropsAKekStillInUse() {
        Kek old = TestStores.randomKek("old");
        Kek fresh = TestStores.randomKek("new");
        try (Store s = Store.open(config(dir).build(), Keyring.of(old))) {
            TestStores.appendAll(s.createLog("q"), "m", 3);
            assertThatThrownBy(() -> s.updateKeyring(Keyring.of(fresh))).isInstanceOf(StoreException.class)
                    .hasMessageContaining("old");
            s.updateKeyring(Keyring.of(List.of(old, fresh), "new"));
            s.rewrapDataKeys((done, all) -> { });
            s.updateKeyring(Keyring.of(fresh));
            assertThat(s.requireLog("q").read(0, 10, 1 << 20)).hasSize(3);
        }
    }

    @Test
    void shouldMakeADeletedLogUnrecoverableEvenFromACopyOfItsSegments() throws Exception {
        Path store = dir.resolve("store");
        Keyring keyring = TestStores.keyring();
        try (Store s = Store.open(config(store).build(), keyring)) {
            TestStores.appendAll(s.createLog("secret"), "classified", 20);
        }
        Path backup = dir.resolve("backup");
        SegmentFiles.copyTree(store.resolve("logs"), backup);
        try (Store s = Store.open(config(store).build(), keyring)) {
            s.deleteLog("secret");
            assertThat(s.logNames()).isEmpty();
        }
        try (var keys = Files.list(store.resolve("keys"))) {
            assertThat(keys.toList()).as("the wrapped data keys are gone").isEmpty();
        }
        // an attacker restores the segment files from the backup, with the KEK in hand
        SegmentFiles.copyTree(backup, store.resolve("logs"));
        try (Store s = Store.open(config(store).build(), keyring)) {
            assertThat(s.logNames()).isEmpty();
            assertThat(s.unavailableLogs().get("secret").getMessage()).contains("manifest").contains("missing")
                    .contains("data keys");
            assertThatThrownBy(() -> s.repairLog("secret")).isInstanceOf(StoreException.class);
        }
    }

    @Test
    void shouldDeleteSegmentsPastTheirAgeAndShredTheirKeys() throws Exception {
        MutableClock clock = new MutableClock();
        RetentionPolicy policy = new RetentionPolicy(java.time.Duration.ofHours(1), 0);
        try (Store s = Store.open(config(dir).segmentBytes(4096).clock(clock).retention(policy).build(),
                TestStores.keyring())) {
            Log log = s.createLog("q");
            TestStores.appendAll(log, "old", 100);
            clock.advance(java.time.Duration.ofHours(2));
            TestStores.appendAll(log, "new", 100);
            int before = log.segmentCount();
            s.applyRetention();
            assertThat(log.segmentCount()).isLessThan(before);
            assertThat(log.startOffset()).isGreaterThan(0).isLessThanOrEqualTo(100);
            assertThatThrownBy(() -> log.read(0, 1, 100)).isInstanceOf(StoreException.class);
            assertThat(TestStores.text(log.read(199, 1, 100).get(0))).isEqualTo("new-99");
        }
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        private java.time.Instant now = java.time.Instant.parse("2026-01-01T00:00:00Z");

        void advance(java.time.Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }
}
