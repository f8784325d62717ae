package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.securebroker.store.TestStores.config;
import static org.securebroker.store.TestStores.keyring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.io.PrivateDirectories;

/** Every directory the store makes is its owner's alone; one that exists keeps its permissions. */
class DirectoryPermissionsTest {

    @TempDir
    Path dir;

    private final Keyring keyring = keyring();

    /**
     * Skips where permissions cannot show what the store does: without POSIX permissions, or
     * where the umask alone already makes a new directory owner-only (umask 077), as then a store
     * that set nothing would pass too.
     */
    private void assumePosix() throws IOException {
        assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"), "no POSIX permissions here");
        Path plain = Files.createDirectory(dir.resolve("made-by-createDirectory"));
        String byUmask = permissions(plain);
        Files.delete(plain);
        assumeFalse(byUmask.equals("rwx------"), "the umask already makes new directories owner-only (" + byUmask
                + "), so this test cannot tell the store's permissions from the umask's; run it under umask 022");
    }

    private static String permissions(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void shouldCreateTheRootAndEveryLogAndSubscriptionDirectoryOwnerOnly() throws IOException {
        assumePosix();
        Path root = dir.resolve("a/b/store");
        try (Store store = Store.open(config(root).build(), keyring)) {
            Log log = store.createLog("orders");
            TestStores.appendAll(log, "m", 3);
            log.subscriptions().create("s", 0).join();
        }
        List<Path> dirs;
        try (Stream<Path> all = Files.walk(dir.resolve("a"))) {
            dirs = all.filter(Files::isDirectory).toList();
        }
        assertThat(dirs).hasSizeGreaterThan(4);
        for (Path d : dirs) {
            assertThat(permissions(d)).as(d.toString()).isEqualTo("rwx------");
        }
    }

    @Test
    void shouldLeaveAnExistingDirectoryAsItIs() throws IOException {
        assumePosix();
        Path existing = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rwxr-x---"));
        PrivateDirectories.create(existing.resolve("x/y"));
        assertThat(permissions(existing)).isEqualTo("rwxr-x---");
        assertThat(permissions(existing.resolve("x"))).isEqualTo("rwx------");
        assertThat(permissions(existing.resolve("x/y"))).isEqualTo("rwx------");
        PrivateDirectories.create(existing);
        assertThat(permissions(existing)).isEqualTo("rwxr-x---");
    }
}
