package org.securebroker.store.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Creates the broker's directories (data directory, store root, per-log directories, keys,
 * subscriptions, audit, TLS): on a POSIX file system every directory made is owner-only
 * ({@code rwx------}, further narrowed by the umask), set as it is created so that it is never
 * open to others, not even for a moment. A directory that exists already is left as it is: its
 * permissions are the operator's and are never loosened (nor tightened) here.
 *
 * <p>Thread-safety: stateless; concurrent creators of one directory both succeed.
 */
public final class PrivateDirectories {

    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private PrivateDirectories() {
    }

    /**
     * Creates {@code dir}, whose parent exists, owner-only where the file system has POSIX
     * permissions.
     *
     * @throws java.nio.file.FileAlreadyExistsException if something is there already
     */
    public static void createNew(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        Path parent = absolute.getParent();
        if (Files.getFileStore(parent == null ? absolute : parent).supportsFileAttributeView("posix")) {
            Files.createDirectory(absolute, OWNER_ONLY);
        } else {
            Files.createDirectory(absolute);
        }
    }

    /** Creates {@code dir} and each missing parent, owner-only where the file system has POSIX permissions. */
    public static void create(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            create(parent);
        }
        try {
            createNew(absolute);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
        }
    }
}
