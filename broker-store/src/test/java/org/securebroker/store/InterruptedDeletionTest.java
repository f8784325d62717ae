package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;

/**
 * Before it was fixed: Store.open's finishDeletes removes trash/LOGID (the only trace that the log was
 * being deleted) before the store state is rewritten without the log, at the end of recovering
 * every log. An open that stops in between (crash, or here a failed state write) leaves a state
 * that lists the log and no trace of the deletion: the next open reports the log unavailable
 * ("its directory is missing").
 */
class InterruptedDeletionTest {

    @TempDir
    Path dir;

    static final class FailStateWrite implements FileLayer {
        final AtomicBoolean fail = new AtomicBoolean();

        @Override
        public StorageChannel open(Path path, boolean create) throws IOException {
            if (fail.get() && path.getFileName().toString().startsWith(StoreState.FILE_NAME)) {
                throw new IOException("Input/output error (injected: the process dies here)");
            }
            return DefaultFileLayer.INSTANCE.open(path, create);
        }

        @Override
        public StorageChannel openReadOnly(Path path) throws IOException {
            return DefaultFileLayer.INSTANCE.openReadOnly(path);
        }

        @Override
        public void syncDirectory(Path d) throws IOException {
            DefaultFileLayer.INSTANCE.syncDirectory(d);
        }
    }

    @Test
    void aDeletionFinishedAtOpenIsNotForgottenIfThatOpenStopsEarly() throws Exception {
        Keyring keyring = TestStores.keyring();
        try (Store store = Store.open(config(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog("q"), "m", 3);
            TestStores.appendAll(store.createLog("keep"), "m", 3);
        }
        // what Log.delete leaves if the process dies right after moving the directory to the trash
        byte[] meta = Files.readAllBytes(dir.resolve("logs/q/log.meta"));
        String hex = java.util.HexFormat.of().formatHex(java.util.Arrays.copyOfRange(meta, 8, 24));
        Files.move(dir.resolve("logs/q"), dir.resolve("trash").resolve(hex));

        FailStateWrite layer = new FailStateWrite();
        layer.fail.set(true);
        try {
            Store.open(config(dir).fileLayer(layer).build(), keyring).close();
        } catch (RuntimeException expected) {
            // the first open dies after finishDeletes, before the state is written
        }
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).as("a deleted log must not come back as unavailable").isEmpty();
        }
    }
}
