package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.utf8;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.DataKeyFile;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.WrappedDataKey;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.record.StoredRecord;

/**
 * Before it was fixed: with store.state present, a version-1 (CRC only, unauthenticated) key file is
 * still accepted as a "legacy" manifest, so anybody who can write keys/ can strip the manifest's
 * authentication and bookkeeping: a deleted middle segment is then silently accepted.
 */
class ManifestDowngradeTest {

    @TempDir
    Path dir;

    @Test
    void aVersion1KeyFileMustNotBeAcceptedOnceTheStoreHasAState() throws Exception {
        Keyring keyring = TestStores.keyring();
        try (Store store = Store.open(config(dir).segmentBytes(4096).build(), keyring)) {
            Log q = store.createLog("q");
            TestStores.appendAll(q, "m-" + "x".repeat(40), 200);
        }
        byte[] meta = Files.readAllBytes(dir.resolve("logs/q/log.meta"));
        byte[] id = java.util.Arrays.copyOfRange(meta, 8, 24);
        Path keyFile = dir.resolve("keys").resolve(java.util.HexFormat.of().formatHex(id) + ".dek");
        // no KEK needed: the wrapped keys are copied as they are, the CRC is public
        List<WrappedDataKey> keys = LogManifest.read(keyFile, id, "q", keyring).keys();
        DataKeyFile.write(DefaultFileLayer.INSTANCE, keyFile, id, keys);
        List<Path> segs = TestStores.segmentFiles(dir, "q");
        assertThat(segs.size()).isGreaterThan(2);
        Files.delete(segs.get(segs.size() / 2));

        try (Store store = Store.open(config(dir).segmentBytes(4096).build(), keyring)) {
            if (store.unavailableLogs().containsKey("q")) {
                return; // the fix: refused
            }
            List<StoredRecord> all = new java.util.ArrayList<>();
            long from = 0;
            while (true) {
                List<StoredRecord> batch = store.requireLog("q").read(from, 1000, 1 << 20);
                if (batch.isEmpty()) {
                    break;
                }
                all.addAll(batch);
                from = batch.get(batch.size() - 1).offset() + 1;
            }
            assertThat(store.recoveryReport().log("q").quarantined()).as("no quarantine reported").isEmpty();
            assertThat(store.recoveryReport().log("q").lost()).as("no loss reported").isEmpty();
            assertThat(all).as("acknowledged records served after a segment was deleted").hasSize(200);
        }
    }
}
