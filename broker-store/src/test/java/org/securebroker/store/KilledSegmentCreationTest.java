package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.utf8;

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

    static final class KillAtSegmentHeader implements FileLayer {
        final AtomicBoolean kill = new AtomicBoolean();

        @Override
        public StorageChannel open(Path path, boolean create) throws IOException {
            StorageChannel inner = DefaultFileLayer.INSTANCE.open(path, create);
            boolean segment = path.getFileName().toString().endsWith(".seg");
            return new StorageChannel() {
                @Override
                public void writeFully(ByteBuffer src, long position) throws IOException {
                    if (segment && position == 0 && kill.get()) {
                        throw new Killed();
                    }
                    inner.writeFully(src, position);
                }

                @Override
                public int readFully(ByteBuffer dst, long position) throws IOException {
                    return inner.readFully(dst, position);
                }

                @Override
                public void force(boolean metadata) throws IOException {
                    inner.force(metadata);
                }

                @Override
                public void truncate(long size) throws IOException {
                    inner.truncate(size);
                }

                @Override
                public long size() throws IOException {
                    return inner.size();
                }

                @Override
                public void close() throws IOException {
                    inner.close();
                }
            };
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
    void aSegmentWhoseCreationWasKilledBeforeItsHeaderIsNotDamage() throws Exception {
        Keyring keyring = TestStores.keyring();
        try (Store store = Store.open(config(dir).build(), keyring)) {
            TestStores.appendAll(store.createLog("q"), "m", 3);
        }
        KillAtSegmentHeader layer = new KillAtSegmentHeader();
        Path image = dir.resolveSibling(dir.getFileName() + "-image");
        Store store = Store.open(config(dir).fileLayer(layer).build(), keyring);
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
