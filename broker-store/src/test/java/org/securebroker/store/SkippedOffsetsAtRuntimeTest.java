package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.utf8;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.io.FaultyFileLayer;

/**
 * Before it was fixed: offsets skipped while running (after a DISK_FULL append) are settled for
 * existing subscriptions only at the next open (settleSkipped), so until a restart every existing
 * subscription's committed cursor, and the low-water mark that drives release/retention, stay
 * below the gap.
 */
class SkippedOffsetsAtRuntimeTest {

    @TempDir
    Path dir;

    @Test
    void aGapMadeByAFailedWriteDoesNotHoldBackTheLowWaterMark() {
        Keyring keyring = TestStores.keyring();
        FaultyFileLayer layer = new FaultyFileLayer();
        try (Store store = Store.open(config(dir).fileLayer(layer).build(), keyring)) {
            Log log = store.createLog("q");
            log.subscriptions().create("s", 0).join();
            TestStores.appendAll(log, "m", 3);
            log.subscriptions().ackRange("s", 0, 3).join();
            layer.diskFull.set(true);
            log.append(utf8("refused")).handle((r, e) -> null).join();
            layer.diskFull.set(false);
            long next = log.append(utf8("after")).join().firstOffset();
            assertThat(next).isGreaterThan(3);
            log.subscriptions().ack("s", next).join();
            assertThat(log.subscriptions().lowWaterMark(0)).as("low-water mark after acknowledging every record")
                    .isEqualTo(next + 1);
        }
    }
}
