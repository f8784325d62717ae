package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;

/**
 * Before it was fixed: only StoreException(LOG_UNAVAILABLE) from LogRecovery is confined to its log;
 * a plain IOException (an oversized log.meta or manifest, a directory where a segment should be,
 * EIO/EACCES on one file) fails the whole Store.open, so every other log is down too.
 */
class OneLogFailureTest {

    @TempDir
    Path dir;

    @Test
    void aDamagedLogMetaMakesOnlyItsLogUnavailable() throws Exception {
        Keyring keyring = TestStores.keyring();
        try (Store store = Store.open(config(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog("bad"), "m", 3);
            TestStores.appendAll(store.createLog("good"), "m", 3);
        }
        Files.write(dir.resolve("logs/bad/log.meta"), new byte[5000], StandardOpenOption.APPEND);
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).containsOnlyKeys("bad");
            assertThat(store.logNames()).containsExactly("good");
        } catch (StoreException e) {
            throw new AssertionError("the whole store refused to open: " + e.kind() + ": " + e.getMessage(), e);
        }
    }

    @Test
    void anUnreadableSegmentMakesOnlyItsLogUnavailable() throws Exception {
        Keyring keyring = TestStores.keyring();
        try (Store store = Store.open(config(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog("bad"), "m", 3);
            TestStores.appendAll(store.createLog("good"), "m", 3);
        }
        Path seg = TestStores.segmentFiles(dir, "bad").get(0);
        Files.delete(seg);
        Files.createDirectory(seg); // stands in for EIO / EACCES on open
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).containsOnlyKeys("bad");
        } catch (StoreException e) {
            throw new AssertionError("the whole store refused to open: " + e.kind() + ": " + e.getMessage(), e);
        }
    }
}
