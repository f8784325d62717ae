package org.securebroker.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The physical limit the store is measured against: appends of the same bytes to a plain
 * {@link FileChannel}, grouped the same way (one thread drains everything queued, writes it with
 * one call, fdatasyncs once and completes the futures on another thread), with no encryption,
 * no checksums and no record format.
 *
 * <p>Thread-safety: {@link #append} is thread-safe.
 */
final class PlainGroupCommitLog implements AutoCloseable {

    private record Pending(ByteBuffer bytes, CompletableFuture<Long> future) {
    }

    private final FileChannel channel;
    private final ByteBuffer buffer;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final Thread writer;
    private final ExecutorService completions = Executors.newSingleThreadExecutor();
    private final int maxBatchBytes;
    private long position;
    private long nextOffset;
    private boolean closing;

    PlainGroupCommitLog(Path file, int maxBatchBytes) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        this.maxBatchBytes = maxBatchBytes;
        this.buffer = ByteBuffer.allocateDirect(maxBatchBytes);
        this.writer = new Thread(this::run, "plain-commit");
        this.writer.start();
    }

    CompletableFuture<Long> append(ByteBuffer bytes) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        synchronized (queue) {
            queue.add(new Pending(bytes.duplicate(), f));
            queue.notify();
        }
        return f;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            batch.clear();
            synchronized (queue) {
                while (queue.isEmpty() && !closing) {
                    try {
                        queue.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return;
                }
                int bytes = 0;
                while (!queue.isEmpty() && (batch.isEmpty() || bytes + queue.peek().bytes().remaining() <= maxBatchBytes)) {
                    Pending p = queue.poll();
                    bytes += p.bytes().remaining();
                    batch.add(p);
                }
            }
            buffer.clear();
            for (Pending p : batch) {
                buffer.put(p.bytes().duplicate());
            }
            buffer.flip();
            try {
                while (buffer.hasRemaining()) {
                    position += channel.write(buffer, position);
                }
                channel.force(false);
            } catch (IOException e) {
                List<Pending> failed = new ArrayList<>(batch);
                completions.execute(() -> failed.forEach(p -> p.future().completeExceptionally(e)));
                continue;
            }
            long first = nextOffset;
            nextOffset += batch.size();
            List<Pending> done = new ArrayList<>(batch);
            completions.execute(() -> {
                long o = first;
                for (Pending p : done) {
                    p.future().complete(o++);
                }
            });
        }
    }

    @Override
    public void close() throws Exception {
        synchronized (queue) {
            closing = true;
            queue.notifyAll();
        }
        writer.join();
        completions.shutdown();
        channel.close();
    }
}
