package org.securebroker.store.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens files and syncs directories for the store. The default is {@link DefaultFileLayer}; tests
 * substitute a layer that fails on demand.
 *
 * <p>Thread-safety: implementations must be thread-safe.
 */
public interface FileLayer {

    /** Opens an existing file, or creates it when {@code create} is true, for reading and writing. */
    StorageChannel open(Path path, boolean create) throws IOException;

    /** Opens an existing file for reading only. */
    StorageChannel openReadOnly(Path path) throws IOException;

    /** Makes the directory's entries (created, renamed, deleted files) durable. */
    void syncDirectory(Path dir) throws IOException;
}
