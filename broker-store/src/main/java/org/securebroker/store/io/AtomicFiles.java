package org.securebroker.store.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Replaces small files (key files, metadata, snapshots) so that a crash leaves either the old or
 * the new content, never a mix: write a temporary file, fsync it, rename it over the target, fsync
 * the directory.
 *
 * <p>Thread-safety: thread-safe for distinct targets; callers serialize writes to one target.
 */
public final class AtomicFiles {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private AtomicFiles() {
    }

    /**
     * The directory {@code file} is in: the parent of its absolute path.
     *
     * @throws IllegalArgumentException if {@code file} is a file system root, which is no file in a directory
     */
    public static Path directoryOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null) {
            throw new IllegalArgumentException(file + " is a file system root, not a file in a directory");
        }
        return parent;
    }

    /**
     * The last element of {@code file}'s path, as text.
     *
     * @throws IllegalArgumentException if {@code file} has no name (a file system root)
     */
    public static String nameOf(Path file) {
        Path name = file.getFileName();
        if (name == null) {
            throw new IllegalArgumentException(file + " is a file system root, not a file in a directory");
        }
        return name.toString();
    }

    /** Durably replaces {@code target} with {@code content}; the file is readable by its owner only. */
    public static void write(FileLayer layer, Path target, ByteBuffer content) throws IOException {
        Path dir = directoryOf(target);
        Path tmp = dir.resolve(nameOf(target) + ".tmp");
        Files.deleteIfExists(tmp);
        createOwnerOnly(tmp);
        try (StorageChannel channel = layer.open(tmp, false)) {
            channel.writeFully(content, 0);
            channel.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        layer.syncDirectory(dir);
    }

    /** Reads a whole small file; callers bound the size they accept. */
    public static byte[] read(Path path, int maxBytes) throws IOException {
        long size = Files.size(path);
        if (size > maxBytes) {
            throw new IOException(path + " is " + size + " bytes, more than the " + maxBytes + " allowed");
        }
        return Files.readAllBytes(path);
    }

    /**
     * Creates an empty file that only its owner can read and write, from the first moment, where
     * the file system supports POSIX permissions.
     */
    public static void createOwnerOnly(Path path) throws IOException {
        Path dir = directoryOf(path);
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(path);
        }
    }

    /** Deletes a file if present and syncs its directory so the deletion is durable. */
    public static void deleteDurably(FileLayer layer, Path path) throws IOException {
        if (Files.deleteIfExists(path)) {
            layer.syncDirectory(directoryOf(path));
        }
    }
}
