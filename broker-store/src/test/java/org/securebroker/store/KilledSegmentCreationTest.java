package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.utf8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.io.FaultyFileLayer;
import org.securebroker.store.crypto.Keyring;

/**
 * Before it was fixed: a SIGKILL (or power loss) between Segment.create's createFile and its header
 * reaching the disk leaves a 0-byte (or short) segment file that the manifest lists as open; the
 * next open calls it "a damaged header" and makes the log unavailable, although nothing in it was
 * ever written.
 */
class KilledSegmentCreationTest {

    @TempDir
    Path dir;

    /** Stands in for the process dying: an Error that no catch (IOException | RuntimeException) cleans up after. */
    static final class Killed extends Error {
        Killed() {
            super("simulated SIGKILL before the header write");
        }
    }

    static final class KillAtSegmentHeader {
        final AtomicBoolean kill = new AtomicBoolean();
        final FaultyFileLayer files = new FaultyFileLayer();

        KillAtSegmentHeader() {
            files.failWritesWhere((path, position) -> {
                if (kill.get() && position == 0 && path.getFileName().toString().endsWith(".seg")) {
                    throw new Killed();
                }
            });
        }
    }

    @Test
    void aSegmentWhoseCreationWasKilledBeforeItsHeaderIsNotDamage() throws Exception {
        Keyring keyring = TestStores.keyring();
        try (Store store = Store.open(config(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog("q"), "m", 3);
        }
        KillAtSegmentHeader layer = new KillAtSegmentHeader();
        Path image = dir.resolveSibling(dir.getFileName() + "-image");
        Store store = Store.open(config(dir).fileLayer(layer.files).build(), keyring);
        try {
            layer.kill.set(true);
            try {
                store.requireLog("q").append(utf8("never")).join();
            } catch (RuntimeException expected) {
                // the commit thread "died"
            }
            assertThat(Files.size(dir.resolve("logs/q").resolve(org.securebroker.store.segment.Segment.fileName(3))))
                    .isLessThan(64);
            SegmentCreationFailureTest.copyTree(dir, image);
        } finally {
            layer.kill.set(false);
            store.close();
        }
        try (Store reopened = Store.open(config(image).build(), keyring)) {
            assertThat(reopened.unavailableLogs()).as("unavailable after a crash inside segment creation").isEmpty();
            assertThat(reopened.requireLog("q").read(0, 10, 1 << 20)).hasSize(3);
        }
    }
}
