package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.DataKeyFile;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.WrappedDataKey;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.DefaultFileLayer;

/**
 * Before it was fixed: the upgrade of a store written by an earlier version is not crash-safe. The
 * first open rewrites each log's key file as a version-2 manifest while recovering it, and writes
 * store.state only after every log; if that open stops in between (crash, full disk, a KEY_ERROR
 * on a later log), every later open refuses with CORRUPTED_METADATA ("the store state is
 * missing ... restore it from backup") - and there is no backup of a file that never existed.
 */
class InterruptedUpgradeTest {

    @TempDir
    Path dir;

    @Test
    void anUpgradeThatStopsHalfwayCanBeOpenedAgain() throws Exception {
        Keyring keyring = TestStores.keyring();
        try (Store store = Store.open(config(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog("a"), "m", 3);
            TestStores.appendAll(store.createLog("b"), "m", 3);
        }
        // make it look like an earlier version's store (as LogIntegrityTest does)
        for (String name : List.of("a", "b")) {
            byte[] meta = Files.readAllBytes(dir.resolve("logs").resolve(name).resolve("log.meta"));
            byte[] id = java.util.Arrays.copyOfRange(meta, 8, 24);
            Path keyFile = dir.resolve("keys").resolve(java.util.HexFormat.of().formatHex(id) + ".dek");
            List<WrappedDataKey> keys = LogManifest.read(keyFile, id, name, keyring).keys();
            DataKeyFile.write(DefaultFileLayer.INSTANCE, keyFile, id, keys);
        }
        Files.delete(dir.resolve(StoreState.FILE_NAME));
        Store.deleteTree(dir.resolve("subscriptions"));

        // the first open dies before it writes store.state (here: its write fails)
        InterruptedDeletionTest.FailStateWrite layer = new InterruptedDeletionTest.FailStateWrite();
        layer.fail.set(true);
        try {
            Store.open(config(dir).fileLayer(layer).build(), keyring).close();
        } catch (StoreException expected) {
            // UNAVAILABLE: cannot open
        }
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThat(store.logNames()).containsExactly("a", "b");
        } catch (StoreException e) {
            throw new AssertionError("the store cannot be opened any more: " + e.kind() + ": " + e.getMessage(), e);
        }
    }
}
