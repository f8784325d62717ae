package org.securebroker.store.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A file opened for positional reads and writes.
 *
 * <p>Thread-safety: implementations must allow concurrent positional reads with one writer, as
 * {@link java.nio.channels.FileChannel} does.
 */
public interface StorageChannel extends Closeable {

    /** Writes all remaining bytes of {@code src} at {@code position}. */
    void writeFully(ByteBuffer src, long position) throws IOException;

    /**
     * Reads into {@code dst} from {@code position} until {@code dst} is full or the end of the file.
     *
     * @return the number of bytes read
     */
    int readFully(ByteBuffer dst, long position) throws IOException;

    /**
     * Forces written data to the device. {@code metadata=false} is fdatasync: enough for appended
     * bytes, because the file size needed to read them back is flushed too.
     */
    void force(boolean metadata) throws IOException;

    void truncate(long size) throws IOException;

    long size() throws IOException;
}
