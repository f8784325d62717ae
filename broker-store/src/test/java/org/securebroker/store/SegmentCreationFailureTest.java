package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.utf8;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.io.FaultyFileLayer;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.failure.StoreException;

/**
 * Before it was fixed: a full disk while Segment.create writes the new segment's header, after roll()
 * already wrote the manifest entry for it, leaves a stale OPEN entry; the next successful roll
 * adds a second entry with the same base, and the next open finds the log unavailable.
 */
class SegmentCreationFailureTest {

    @TempDir
    Path dir;

    /** Fails the header write of new segment files only (the manifest write succeeds). */
    static final class SegmentHeaderFull {
        final AtomicBoolean full = new AtomicBoolean();
        final FaultyFileLayer files = new FaultyFileLayer();

        SegmentHeaderFull() {
            files.failWritesWhere((path, position) -> {
                if (full.get() && position == 0 && path.getFileName().toString().endsWith(".seg")) {
                    throw new IOException("No space left on device");
                }
            });
        }
    }

    @Test
    void aFullDiskWhileCreatingASegmentMustNotMakeTheLogUnavailableAfterARestart() {
        Keyring keyring = TestStores.keyring();
        SegmentHeaderFull layer = new SegmentHeaderFull();
        try (Store store = Store.open(config(dir).fileLayer(layer.files).build(), keyring)) {
            Log log = store.createLog("q");
            layer.full.set(true);
            try {
                log.append(utf8("refused")).join();
                throw new AssertionError("expected DISK_FULL");
            } catch (CompletionException e) {
                assertThat(((StoreException) e.getCause()).kind()).isEqualTo(StoreException.Kind.DISK_FULL);
            }
            layer.full.set(false);
            log.append(utf8("accepted")).join();
        }
        // a clean stop; the next open should find the log as it was
        try (Store store = Store.open(config(dir).build(), keyring)) {
            assertThat(store.unavailableLogs()).as("unavailable logs after a clean stop").isEmpty();
            assertThat(store.requireLog("q").read(0, 10, 1 << 20)).extracting(TestStores::text)
                    .containsExactly("accepted");
        }
    }

    @Test
    void sameAfterACrash() throws Exception {
        Keyring keyring = TestStores.keyring();
        SegmentHeaderFull layer = new SegmentHeaderFull();
        Store store = Store.open(config(dir).fileLayer(layer.files).build(), keyring);
        Log log = store.createLog("q");
        log.append(utf8("first")).join();
        store.close();
        store = Store.open(config(dir).fileLayer(layer.files).build(), keyring);
        log = store.requireLog("q");
        layer.full.set(true);
        try {
            log.append(utf8("refused")).join();
        } catch (CompletionException expected) {
            // DISK_FULL
        }
        layer.full.set(false);
        log.append(utf8("accepted")).join();
        // simulate a crash: copy the directory while the store is open
        Path copy = dir.resolveSibling(dir.getFileName() + "-crash");
        copyTree(dir, copy);
        store.close();
        try (Store reopened = Store.open(config(copy).build(), keyring)) {
            assertThat(reopened.unavailableLogs()).as("unavailable logs after a crash").isEmpty();
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var walk = java.nio.file.Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (java.nio.file.Files.isDirectory(p)) {
                    java.nio.file.Files.createDirectories(t);
                } else if (!p.getFileName().toString().equals("store.lock")) {
                    java.nio.file.Files.copy(p, t);
                }
            }
        }
    }
}
