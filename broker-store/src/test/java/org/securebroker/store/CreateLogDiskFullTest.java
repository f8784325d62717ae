package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.FaultyFileLayer;

/**
 * Before it was fixed: createLog on a full disk leaves logs/NAME behind (createDirectory is not undone),
 * so once space is back every retry fails with FileAlreadyExistsException (IO_ERROR) until a
 * restart, which then finds a log the caller was told was not created.
 */
class CreateLogDiskFullTest {

    @TempDir
    Path dir;

    @Test
    void createLogCanBeRetriedOnceTheDiskHasSpaceAgain() {
        Keyring keyring = TestStores.keyring();
        FaultyFileLayer layer = new FaultyFileLayer();
        try (Store store = Store.open(config(dir).fileLayer(layer).build(), keyring)) {
            layer.diskFull.set(true);
            StoreException first = null;
            try {
                store.createLog("q");
            } catch (StoreException e) {
                first = e;
            }
            assertThat(first).isNotNull();
            System.out.println("first failure: " + first.kind() + ": " + first.getMessage());
            layer.diskFull.set(false);
            try {
                store.createLog("q");
            } catch (StoreException e) {
                throw new AssertionError("retry after space came back failed: " + e.kind() + ": " + e.getMessage(), e);
            }
        }
    }
}
