package org.securebroker.store.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.securebroker.store.io.StorageChannel;

/**
 * A sliding read window over a file, so scans can look at any record of at most the window's
 * capacity without reading the file byte by byte or all at once.
 *
 * <p>Thread-safety: not thread-safe.
 */
final class FileWindow {

    private final StorageChannel channel;
    private final long fileSize;
    private final ByteBuffer buffer;
    private long start = -1;

    FileWindow(StorageChannel channel, long fileSize, int capacity) {
        this.channel = channel;
        this.fileSize = fileSize;
        this.buffer = ByteBuffer.allocate(capacity);
    }

    long fileSize() {
        return fileSize;
    }

    ByteBuffer buffer() {
        return buffer;
    }

    /**
     * Makes {@code [position, position + length)} available in the buffer.
     *
     * @return the buffer index of {@code position}, or -1 if the range runs past the end of file
     */
    int load(long position, int length) throws IOException {
        if (length > buffer.capacity()) {
            throw new IllegalArgumentException("window of " + buffer.capacity() + " bytes cannot hold " + length);
        }
        if (position < 0 || position + length > fileSize) {
            return -1;
        }
        if (start >= 0 && position >= start && position + length <= start + buffer.limit()) {
            return (int) (position - start);
        }
        buffer.clear();
        int wanted = (int) Math.min(buffer.capacity(), fileSize - position);
        buffer.limit(wanted);
        int read = channel.readFully(buffer, position);
        buffer.flip();
        start = position;
        if (read < length) {
            start = -1;
            return -1;
        }
        return 0;
    }
}
