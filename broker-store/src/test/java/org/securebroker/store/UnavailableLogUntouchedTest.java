package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;

/**
 * Before it was fixed: for the last segment after an unclean stop, Segment.recover truncates the
 * "torn tail" and writes an end marker before LogRecovery compares the result with the
 * checkpoint; when that comparison then makes the log unavailable, the file has already been cut
 * (docs: "nothing of it is rewritten or dropped"). Acknowledged, checkpointed bytes that a bit
 * flip made unreadable are destroyed on an open that refuses the log.
 */
class UnavailableLogUntouchedTest {

    @TempDir
    Path dir;

    @Test
    void anUnavailableLogsFilesAreNotModified() throws Exception {
        Keyring keyring = TestStores.keyring();
        Path live = dir.resolve("live");
        Path image = dir.resolve("image");
        Store store = Store.open(config(live).build(), keyring);
        try {
            TestStores.appendAll(store.createLog("q"), "m", 10);
            store.checkpoint();
            SegmentCreationFailureTest.copyTree(live, image); // crash after the checkpoint
        } finally {
            store.close();
        }
        List<Path> segs = TestStores.segmentFiles(image, "q");
        Path last = segs.get(segs.size() - 1);
        long size = Files.size(last);
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            long at = size - 5; // inside the last (acknowledged, checkpointed) record
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
        try (Store s = Store.open(config(image).build(), keyring)) {
            assertThat(s.unavailableLogs()).containsKey("q");
        }
        assertThat(Files.size(last)).as("the unavailable log's last segment was rewritten").isEqualTo(size);
    }
}
