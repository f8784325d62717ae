package org.securebroker.store.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A file layer that fails forces or writes on demand, to test the store's failure rules. */
public final class FaultyFileLayer implements FileLayer {

    public final AtomicBoolean failForce = new AtomicBoolean();
    public final AtomicBoolean diskFull = new AtomicBoolean();
    /** How many forces were attempted. */
    public final AtomicInteger forces = new AtomicInteger();

    @Override
    public StorageChannel open(Path path, boolean create) throws IOException {
        return wrap(DefaultFileLayer.INSTANCE.open(path, create));
    }

    @Override
    public StorageChannel openReadOnly(Path path) throws IOException {
        return DefaultFileLayer.INSTANCE.openReadOnly(path);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        if (failForce.get()) {
            throw new IOException("Input/output error (injected)");
        }
        DefaultFileLayer.INSTANCE.syncDirectory(dir);
    }

    private StorageChannel wrap(StorageChannel inner) {
        return new StorageChannel() {
            @Override
            public void writeFully(ByteBuffer src, long position) throws IOException {
                if (diskFull.get()) {
                    // a partial write first, as a real full disk may do
                    ByteBuffer part = src.duplicate();
                    part.limit(part.position() + Math.min(part.remaining(), 10));
                    inner.writeFully(part, position);
                    throw new IOException("No space left on device");
                }
                inner.writeFully(src, position);
            }

            @Override
            public int readFully(ByteBuffer dst, long position) throws IOException {
                return inner.readFully(dst, position);
            }

            @Override
            public void force(boolean metadata) throws IOException {
                forces.incrementAndGet();
                if (failForce.get()) {
                    throw new IOException("Input/output error (injected)");
                }
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
}
