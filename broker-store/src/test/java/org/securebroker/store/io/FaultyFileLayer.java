package org.securebroker.store.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A file layer that fails forces or writes on demand, and holds forces until the test releases
 * them, to test the failure rules and the ordering of the store's writers without sleeping.
 */
public final class FaultyFileLayer implements FileLayer {

    public final AtomicBoolean failForce = new AtomicBoolean();
    public final AtomicBoolean diskFull = new AtomicBoolean();
    /** Writes fail with an I/O error that is not a full disk. */
    public final AtomicBoolean failWrite = new AtomicBoolean();
    /** How many forces were attempted. */
    public final AtomicInteger forces = new AtomicInteger();
    /** How many writes were attempted. */
    public final AtomicInteger writes = new AtomicInteger();
    private volatile Gate gate;
    private volatile WriteFault writeFault = (path, position) -> { };

    /** Decides, before each write, whether it fails: throws to fail it. */
    @FunctionalInterface
    public interface WriteFault {
        void check(Path path, long position) throws IOException;
    }

    /** Fails the writes {@code fault} throws for, from now on (on top of the flags above). */
    public void failWritesWhere(WriteFault fault) {
        writeFault = fault;
    }

    /**
     * Forces, and holds there until released, every force of a file {@code which} accepts (the
     * failure flags apply once released). One gate at a time; a new one replaces the last.
     */
    public Gate holdForces(Predicate<Path> which) {
        Gate g = new Gate(which);
        gate = g;
        return g;
    }

    /** Forces waiting at the gate; released all at once, after which forces pass freely. */
    public static final class Gate {
        private final Predicate<Path> which;
        private final CountDownLatch forcing = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        private Gate(Predicate<Path> which) {
            this.which = which;
        }

        /** Waits until a force has reached the gate. */
        public void awaitForcing() throws InterruptedException {
            if (!forcing.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("no force reached the gate");
            }
        }

        public void release() {
            release.countDown();
        }

        void pass(Path file) throws IOException {
            if (!which.test(file)) {
                return;
            }
            forcing.countDown();
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("the test never released the force (injected)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the gate (injected)", e);
            }
        }
    }

    @Override
    public StorageChannel open(Path path, boolean create) throws IOException {
        return wrap(path, DefaultFileLayer.INSTANCE.open(path, create));
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

    private StorageChannel wrap(Path path, StorageChannel inner) {
        return new StorageChannel() {
            @Override
            public void writeFully(ByteBuffer src, long position) throws IOException {
                writes.incrementAndGet();
                writeFault.check(path, position);
                if (failWrite.get()) {
                    throw new IOException("Input/output error (injected)");
                }
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
                Gate g = gate;
                if (g != null) {
                    g.pass(path);
                }
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
