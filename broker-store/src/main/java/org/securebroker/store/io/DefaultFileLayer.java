package org.securebroker.store.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file layer backed by {@link FileChannel}.
 *
 * <p>Thread-safety: thread-safe and stateless.
 */
public final class DefaultFileLayer implements FileLayer {

    public static final DefaultFileLayer INSTANCE = new DefaultFileLayer();

    private DefaultFileLayer() {
    }

    @Override
    public StorageChannel open(Path path, boolean create) throws IOException {
        FileChannel channel = create
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new FileStorageChannel(channel);
    }

    @Override
    public StorageChannel openReadOnly(Path path) throws IOException {
        return new FileStorageChannel(FileChannel.open(path, StandardOpenOption.READ));
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static final class FileStorageChannel implements StorageChannel {
        private final FileChannel channel;

        FileStorageChannel(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void writeFully(ByteBuffer src, long position) throws IOException {
            long pos = position;
            while (src.hasRemaining()) {
                pos += channel.write(src, pos);
            }
        }

        @Override
        public int readFully(ByteBuffer dst, long position) throws IOException {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        }

        @Override
        public void force(boolean metadata) throws IOException {
            channel.force(metadata);
        }

        @Override
        public void truncate(long size) throws IOException {
            channel.truncate(size);
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
