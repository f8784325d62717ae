package org.securebroker.store.subscription;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.securebroker.store.OffsetRange;
import org.securebroker.store.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.io.StorageChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable state of every subscription of every log. Changes apply in memory at once and are
 * appended to a journal by a flusher thread that writes and fdatasyncs everything pending at most
 * {@code syncInterval} after it arrived (group commit); a change's future completes after that
 * fsync. When the journal grows past {@code compactBytes}, the whole state is written to a new
 * snapshot and a new, empty journal generation starts.
 *
 * <p>Files, in {@code subscriptions/} (big-endian):
 * <pre>
 * snapshot            "BSUB" | u8 version=1 | u64 generation | u32 logs
 *                     | per log: str name | u32 subs
 *                     |   per sub: str name | u64 committed | u32 ranges | ranges x (u64 from, u64 to)
 *                     | u32 CRC32C of all preceding bytes
 * journal-GENERATION  entries: u32 length | u32 CRC32C(body) | body
 *                     body = u8 type | str log | str subscription | u64 a | u64 b
 *                     type 1 CREATE (a = start offset), 2 ACK [a, b), 3 DELETE, 4 DELETE_LOG
 * str = u16 length + UTF-8
 * </pre>
 * On open, the journal is replayed up to its first damaged entry and truncated there: changes
 * lost that way are acknowledgements not yet durable, so at worst messages are delivered again.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class SubscriptionStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionStore.class);
    private static final byte[] SNAPSHOT_MAGIC = "BSUB".getBytes(StandardCharsets.US_ASCII);
    private static final String SNAPSHOT = "snapshot";
    private static final String JOURNAL_PREFIX = "journal-";
    private static final int MAX_ENTRY = 2 + 2 * (2 + 65535) + 16;

    static final byte CREATE = 1;
    static final byte ACK = 2;
    static final byte DELETE = 3;
    static final byte DELETE_LOG = 4;

    private final Path dir;
    private final FileLayer layer;
    private final long syncNanos;
    private final long compactBytes;
    private final Consumer<StoreException> onFailure;

    private final Object lock = new Object();
    private final Map<String, Map<String, AckSet>> logs = new HashMap<>();
    private ByteBuffer pending = ByteBuffer.allocate(64 * 1024);
    private List<CompletableFuture<Void>> waiters = new ArrayList<>();
    private boolean closing;
    private volatile StoreException failure;

    private long generation;
    private StorageChannel journal;
    private long journalSize;
    private final long truncatedBytes;
    private final Thread flusher;

    private SubscriptionStore(Path dir, FileLayer layer, Duration syncInterval, long compactBytes,
                              Consumer<StoreException> onFailure) throws IOException {
        this.dir = dir;
        this.layer = layer;
        this.syncNanos = syncInterval.toNanos();
        this.compactBytes = compactBytes;
        this.onFailure = onFailure;
        Files.createDirectories(dir);
        Path snapshot = dir.resolve(SNAPSHOT);
        if (Files.exists(snapshot)) {
            readSnapshot(snapshot);
        }
        Path journalFile = dir.resolve(JOURNAL_PREFIX + generation);
        if (!Files.exists(journalFile)) {
            AtomicFiles.createOwnerOnly(journalFile);
            layer.syncDirectory(dir);
        }
        journal = layer.open(journalFile, false);
        long valid = replay(journal);
        long size = journal.size();
        truncatedBytes = size - valid;
        if (truncatedBytes > 0) {
            LOG.warn("subscription journal {}: truncated {} damaged or incomplete bytes at its end; acknowledgements in "
                    + "them were not durable and their messages will be delivered again", journalFile, truncatedBytes);
            journal.truncate(valid);
            journal.force(true);
        }
        journalSize = valid;
        deleteOtherJournals();
        flusher = new Thread(this::runFlusher, "store-subscriptions");
        flusher.setDaemon(true);
        flusher.start();
    }

    /** Opens (recovering) the subscription state in {@code dir}. */
    public static SubscriptionStore open(Path dir, FileLayer layer, Duration syncInterval, long compactBytes,
                                         Consumer<StoreException> onFailure) throws IOException {
        return new SubscriptionStore(dir, layer, syncInterval, compactBytes, onFailure);
    }

    /** Bytes cut from the journal's end when it was opened. */
    public long truncatedBytes() {
        return truncatedBytes;
    }

    /** The per-log view. */
    public Subscriptions forLog(String log) {
        return new Subscriptions(this, log);
    }

    /** Names of logs that have subscription state. */
    public Set<String> logNames() {
        synchronized (lock) {
            return Set.copyOf(logs.keySet());
        }
    }

    /** Forgets every subscription of a log, durably; the future completes after the fsync. */
    public CompletableFuture<Void> deleteLog(String log) {
        synchronized (lock) {
            logs.remove(log);
            return record(DELETE_LOG, log, "", 0, 0);
        }
    }

    // ---- operations behind Subscriptions ----

    CompletableFuture<SubscriptionSnapshot> create(String log, String name, long startOffset) {
        validateName(name);
        synchronized (lock) {
            Map<String, AckSet> subs = logs.computeIfAbsent(log, k -> new LinkedHashMap<>());
            AckSet existing = subs.get(name);
            if (existing != null) {
                return CompletableFuture.completedFuture(snapshotOf(log, name, existing));
            }
            AckSet created = new AckSet(startOffset);
            subs.put(name, created);
            SubscriptionSnapshot snapshot = snapshotOf(log, name, created);
            return record(CREATE, log, name, startOffset, 0).thenApply(v -> snapshot);
        }
    }

    CompletableFuture<Void> ack(String log, String name, long from, long to) {
        if (from < 0 || to <= from) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "invalid ack range [" + from + ", " + to + ")");
        }
        synchronized (lock) {
            AckSet set = find(log, name);
            if (!set.ack(from, to)) {
                return failure == null ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(failure);
            }
            return record(ACK, log, name, from, to);
        }
    }

    boolean isAcked(String log, String name, long offset) {
        synchronized (lock) {
            return find(log, name).isAcked(offset);
        }
    }

    CompletableFuture<Void> delete(String log, String name) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            if (subs == null || subs.remove(name) == null) {
                return CompletableFuture.completedFuture(null);
            }
            return record(DELETE, log, name, 0, 0);
        }
    }

    SubscriptionSnapshot get(String log, String name) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            AckSet set = subs == null ? null : subs.get(name);
            return set == null ? null : snapshotOf(log, name, set);
        }
    }

    List<SubscriptionSnapshot> list(String log) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            List<SubscriptionSnapshot> out = new ArrayList<>();
            if (subs != null) {
                subs.forEach((name, set) -> out.add(snapshotOf(log, name, set)));
            }
            return out;
        }
    }

    long lowWaterMark(String log, long whenNone) {
        synchronized (lock) {
            Map<String, AckSet> subs = logs.get(log);
            if (subs == null || subs.isEmpty()) {
                return whenNone;
            }
            long min = Long.MAX_VALUE;
            for (AckSet set : subs.values()) {
                min = Math.min(min, set.committed());
            }
            return min;
        }
    }

    private AckSet find(String log, String name) {
        Map<String, AckSet> subs = logs.get(log);
        AckSet set = subs == null ? null : subs.get(name);
        if (set == null) {
            throw new StoreException(StoreException.Kind.SUBSCRIPTION_NOT_FOUND,
                    "log '" + log + "' has no subscription '" + name + "'");
        }
        return set;
    }

    private static SubscriptionSnapshot snapshotOf(String log, String name, AckSet set) {
        return new SubscriptionSnapshot(log, name, set.committed(), set.ranges());
    }

    private static void validateName(String name) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new StoreException(StoreException.Kind.INVALID_ARGUMENT, "a subscription name has 1 to 255 bytes");
        }
    }

    /** Appends an entry to the pending buffer; called with the lock held. */
    private CompletableFuture<Void> record(byte type, String log, String name, long a, long b) {
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        if (closing) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Kind.CLOSED, "the store is closed"));
        }
        byte[] logBytes = log.getBytes(StandardCharsets.UTF_8);
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        int body = 1 + 2 + logBytes.length + 2 + nameBytes.length + 16;
        if (pending.remaining() < 8 + body) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + 8 + body));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        int start = pending.position();
        pending.putInt(body).putInt(0).put(type).putShort((short) logBytes.length).put(logBytes)
                .putShort((short) nameBytes.length).put(nameBytes).putLong(a).putLong(b);
        CRC32C crc = new CRC32C();
        crc.update(pending.array(), start + 8, body);
        pending.putInt(start + 4, (int) crc.getValue());
        CompletableFuture<Void> future = new CompletableFuture<>();
        boolean first = waiters.isEmpty();
        waiters.add(future);
        if (first) {
            lock.notifyAll();
        }
        return future;
    }

    private void apply(byte type, String log, String name, long a, long b) {
        switch (type) {
            case CREATE -> logs.computeIfAbsent(log, k -> new LinkedHashMap<>()).putIfAbsent(name, new AckSet(a));
            case ACK -> {
                Map<String, AckSet> subs = logs.get(log);
                AckSet set = subs == null ? null : subs.get(name);
                if (set != null && a < b) {
                    set.ack(a, b);
                }
            }
            case DELETE -> {
                Map<String, AckSet> subs = logs.get(log);
                if (subs != null) {
                    subs.remove(name);
                }
            }
            case DELETE_LOG -> logs.remove(log);
            default -> throw new IllegalArgumentException("unknown entry type " + type);
        }
    }

    // ---- flusher thread ----

    private void runFlusher() {
        while (true) {
            ByteBuffer batch;
            List<CompletableFuture<Void>> done;
            synchronized (lock) {
                while (waiters.isEmpty() && !closing) {
                    waitQuietly(0);
                }
                if (waiters.isEmpty()) {
                    return;
                }
                if (!closing && syncNanos > 0) {
                    long deadline = System.nanoTime() + syncNanos;
                    long left;
                    while (!closing && (left = deadline - System.nanoTime()) > 0) {
                        waitQuietly(Math.max(1, left / 1_000_000));
                    }
                }
                batch = pending.flip();
                pending = ByteBuffer.allocate(Math.max(64 * 1024, Math.min(batch.capacity(), 4 << 20)));
                done = waiters;
                waiters = new ArrayList<>();
                if (journalSize + batch.remaining() > compactBytes) {
                    compactLocked(done);
                    continue;
                }
            }
            flush(batch, done);
        }
    }

    private void waitQuietly(long millis) {
        try {
            lock.wait(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closing = true;
        }
    }

    private void flush(ByteBuffer batch, List<CompletableFuture<Void>> done) {
        if (failure != null) {
            done.forEach(f -> f.completeExceptionally(failure));
            return;
        }
        try {
            int length = batch.remaining();
            journal.writeFully(batch, journalSize);
            journal.force(false);
            journalSize += length;
            done.forEach(f -> f.complete(null));
        } catch (IOException e) {
            fail(e, done);
        }
    }

    /** Writes the whole state as a new snapshot generation; called with the lock held. */
    private void compactLocked(List<CompletableFuture<Void>> done) {
        if (failure != null) {
            done.forEach(f -> f.completeExceptionally(failure));
            return;
        }
        long next = generation + 1;
        try {
            Path nextJournal = dir.resolve(JOURNAL_PREFIX + next);
            Files.deleteIfExists(nextJournal);
            AtomicFiles.createOwnerOnly(nextJournal);
            AtomicFiles.write(layer, dir.resolve(SNAPSHOT), encodeSnapshot(next));
            StorageChannel old = journal;
            journal = layer.open(nextJournal, false);
            journalSize = 0;
            generation = next;
            old.close();
            Files.deleteIfExists(dir.resolve(JOURNAL_PREFIX + (next - 1)));
            layer.syncDirectory(dir);
            done.forEach(f -> f.complete(null));
        } catch (IOException e) {
            fail(e, done);
        }
    }

    private void fail(IOException e, List<CompletableFuture<Void>> done) {
        StoreException f = new StoreException(StoreException.Kind.FAILED, "writing subscription state in " + dir
                + " failed (" + e.getMessage() + "); the store refuses writes until it is restarted", e);
        failure = f;
        LOG.error("subscription journal failed", e);
        onFailure.accept(f);
        done.forEach(x -> x.completeExceptionally(f));
    }

    private ByteBuffer encodeSnapshot(long gen) {
        int size = 4 + 1 + 8 + 4 + 4;
        for (Map.Entry<String, Map<String, AckSet>> log : logs.entrySet()) {
            size += 2 + utf8(log.getKey()).length + 4;
            for (Map.Entry<String, AckSet> sub : log.getValue().entrySet()) {
                size += 2 + utf8(sub.getKey()).length + 8 + 4 + 16 * sub.getValue().rangeCount();
            }
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(SNAPSHOT_MAGIC).put((byte) 1).putLong(gen).putInt(logs.size());
        for (Map.Entry<String, Map<String, AckSet>> log : logs.entrySet()) {
            putString(buf, log.getKey());
            buf.putInt(log.getValue().size());
            for (Map.Entry<String, AckSet> sub : log.getValue().entrySet()) {
                putString(buf, sub.getKey());
                buf.putLong(sub.getValue().committed());
                List<OffsetRange> ranges = sub.getValue().ranges();
                buf.putInt(ranges.size());
                for (OffsetRange r : ranges) {
                    buf.putLong(r.from()).putLong(r.to());
                }
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        return buf.flip();
    }

    private void readSnapshot(Path file) throws IOException {
        byte[] bytes = AtomicFiles.read(file, Integer.MAX_VALUE - 16);
        CRC32C crc = new CRC32C();
        if (bytes.length < 21) {
            throw damaged(file, "it is truncated");
        }
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if (buf.getInt(bytes.length - 4) != (int) crc.getValue()
                || !java.util.Arrays.equals(bytes, 0, 4, SNAPSHOT_MAGIC, 0, 4) || bytes[4] != 1) {
            throw damaged(file, "its checksum or header does not match");
        }
        buf.position(5);
        try {
            generation = buf.getLong();
            int logCount = buf.getInt();
            for (int i = 0; i < logCount; i++) {
                String log = getString(buf);
                int subs = buf.getInt();
                Map<String, AckSet> map = new LinkedHashMap<>();
                for (int j = 0; j < subs; j++) {
                    String name = getString(buf);
                    AckSet set = new AckSet(buf.getLong());
                    int ranges = buf.getInt();
                    for (int k = 0; k < ranges; k++) {
                        set.ack(buf.getLong(), buf.getLong());
                    }
                    map.put(name, set);
                }
                logs.put(log, map);
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw damaged(file, "an entry is malformed");
        }
    }

    private static StoreException damaged(Path file, String why) {
        return new StoreException(StoreException.Kind.CORRUPTED_METADATA, "subscription snapshot " + file
                + " is damaged: " + why + "; restore it from backup");
    }

    /** Replays the journal; returns the length of its valid prefix. Reads it in large chunks. */
    private long replay(StorageChannel channel) throws IOException {
        long size = channel.size();
        ByteBuffer buf = ByteBuffer.allocate(Math.max(1 << 20, 2 * MAX_ENTRY));
        long bufStart = 0;
        buf.limit(0);
        long position = 0;
        while (position + 8 <= size) {
            if (buf.remaining() < 8 || buf.remaining() < 8 + buf.getInt(buf.position())) {
                // refill from the current position (an entry never exceeds half the buffer)
                bufStart = position;
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), size - position));
                channel.readFully(buf, position);
                buf.flip();
                if (buf.remaining() < 8) {
                    break;
                }
            }
            int at = buf.position();
            int length = buf.getInt(at);
            int crcValue = buf.getInt(at + 4);
            if (length < 1 + 2 + 2 + 16 || length > MAX_ENTRY || position + 8 + length > size
                    || buf.remaining() < 8 + length) {
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(buf.array(), at + 8, length);
            if ((int) crc.getValue() != crcValue) {
                break;
            }
            ByteBuffer body = ByteBuffer.wrap(buf.array(), at + 8, length).slice();
            try {
                byte type = body.get();
                String log = getString(body);
                String name = getString(body);
                long a = body.getLong();
                long b = body.getLong();
                if (body.hasRemaining()) {
                    break;
                }
                apply(type, log, name, a, b);
            } catch (BufferUnderflowException | IllegalArgumentException e) {
                break;
            }
            position += 8 + length;
            buf.position((int) (position - bufStart));
        }
        return position;
    }

    private void deleteOtherJournals() throws IOException {
        String keep = JOURNAL_PREFIX + generation;
        boolean deleted = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, JOURNAL_PREFIX + "*")) {
            for (Path p : entries) {
                if (!p.getFileName().toString().equals(keep)) {
                    Files.delete(p);
                    deleted = true;
                }
            }
        }
        if (deleted) {
            layer.syncDirectory(dir);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void putString(ByteBuffer buf, String s) {
        byte[] b = utf8(s);
        buf.putShort((short) b.length).put(b);
    }

    private static String getString(ByteBuffer buf) {
        int length = buf.getShort() & 0xFFFF;
        byte[] b = new byte[length];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Flushes what is pending and stops the flusher. */
    @Override
    public void close() throws IOException {
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
        }
        try {
            flusher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.close();
    }
}
