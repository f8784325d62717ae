package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.utf8;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;

/**
 * Before it was fixed: after the documented fix for an unavailable log ("restore the manifest from the
 * key backup"), the repair moves the segments the older manifest does not list aside but neither
 * records their offsets as lost nor continues above them: offsets that were acknowledged after
 * the last checkpoint are handed out again.
 */
class RepairUnlistedSegmentsTest {

    @TempDir
    Path dir;

    @Test
    void aRepairContinuesAboveTheSegmentsItMovesAside() throws Exception {
        Keyring keyring = TestStores.keyring();
        Path live = dir.resolve("live");
        Path image = dir.resolve("image");
        StoreConfig.Builder cfg = config(live).segmentBytes(4096).checkpointInterval(Duration.ofMinutes(1));
        try (Store store = Store.open(cfg.build(), keyring)) {
            TestStores.appendAll(store.createLog("q"), "m-" + "x".repeat(40), 50);
        }
        // the operator's key backup, taken while the broker was stopped
        Path keyBackup = dir.resolve("keys-backup");
        SegmentCreationFailureTest.copyTree(live.resolve("keys"), keyBackup);

        long lastAcked;
        Store store = Store.open(cfg.build(), keyring);
        try {
            Log q = store.requireLog("q");
            TestStores.appendAll(q, "n-" + "x".repeat(40), 20);
            store.checkpoint();
            lastAcked = -1;
            for (int i = 0; i < 100; i++) {
                lastAcked = q.append(utf8("late-" + i + "x".repeat(40))).join().lastOffset();
            }
            SegmentCreationFailureTest.copyTree(live, image); // the crash
        } finally {
            store.close();
        }
        // the manifest is lost / damaged; the operator restores it from the key backup, as told
        try (var files = Files.list(keyBackup)) {
            for (Path p : files.toList()) {
                Files.copy(p, image.resolve("keys").resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (Store s = Store.open(config(image).segmentBytes(4096).build(), keyring)) {
            assertThat(s.unavailableLogs()).containsKey("q");
            RepairReport report = s.repairLog("q");
            System.out.println("repair: " + report);
            long next = s.requireLog("q").append(utf8("after-repair")).join().firstOffset();
            assertThat(next).as("offset " + lastAcked + " was acknowledged before the crash; lost " + report.lost())
                    .isGreaterThan(lastAcked);
        }
    }
}
