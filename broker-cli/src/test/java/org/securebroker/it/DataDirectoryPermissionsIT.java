package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;

/**
 * Every directory the bootstrap and a running broker make under (and above) the data directory
 * (secrets, TLS, store root, per-queue logs, subscriptions, audit) is its owner's alone.
 */
class DataDirectoryPermissionsIT {

    @TempDir
    Path dir;

    @Test
    void shouldCreateEveryDirectoryOwnerOnly() throws Exception {
        assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"), "no POSIX permissions here");
        Path plain = Files.createDirectory(dir.resolve("made-by-createDirectory"));
        String byUmask = PosixFilePermissions.toString(Files.getPosixFilePermissions(plain));
        Files.delete(plain);
        assumeFalse(byUmask.equals("rwx------"), "the umask already makes new directories owner-only (" + byUmask
                + "), so this test cannot tell the broker's permissions from the umask's; run it under umask 022");
        Path top = dir.resolve("srv");
        try (TestBroker broker = new TestBroker(top.resolve("broker/data")); RawConnection c = broker.admin()) {
            c.send(new CreateQueueFrame(3, "orders", 0, "orders.dlq", 0));
            c.expect(OkFrame.class);
            c.send(new SubscribeFrame(4, "orders", "s", 1));
            c.expect(SubscribeOkFrame.class);
        }
        List<Path> dirs;
        try (Stream<Path> all = Files.walk(top)) {
            dirs = all.filter(Files::isDirectory).toList();
        }
        assertThat(dirs).hasSizeGreaterThan(6);
        for (Path d : dirs) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).as(d.toString())
                    .isEqualTo("rwx------");
        }
    }
}
