package org.securebroker.store.subscription;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.StorageChannel;

/**
 * The files of the subscription state, in {@code subscriptions/} (big-endian):
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
 *
 * <p>Thread-safety: stateless.
 */
final class SubscriptionFormat {

    static final byte CREATE = 1;
    static final byte ACK = 2;
    static final byte DELETE = 3;
    static final byte DELETE_LOG = 4;

    private static final byte[] SNAPSHOT_MAGIC = "BSUB".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_ENTRY = 2 + 2 * (2 + 65535) + 16;

    /** Takes the journal's entries as they are replayed. */
    @FunctionalInterface
    interface Replay {
        void apply(byte type, String log, String name, long a, long b);
    }

    private SubscriptionFormat() {
    }

    /** One journal entry: length, CRC32C and body. */
    static byte[] entry(byte type, String log, String name, long a, long b) {
        byte[] logBytes = utf8(log);
        byte[] nameBytes = utf8(name);
        int body = 1 + 2 + logBytes.length + 2 + nameBytes.length + 16;
        ByteBuffer entry = ByteBuffer.allocate(8 + body);
        entry.putInt(body).putInt(0).put(type).putShort((short) logBytes.length).put(logBytes)
                .putShort((short) nameBytes.length).put(nameBytes).putLong(a).putLong(b);
        CRC32C crc = new CRC32C();
        crc.update(entry.array(), 8, body);
        entry.putInt(4, (int) crc.getValue());
        return entry.array();
    }

    /** The snapshot of {@code logs} that starts journal generation {@code gen}. */
    static ByteBuffer snapshot(long gen, Map<String, Map<String, AckSet>> logs) {
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

    /**
     * Reads a snapshot into {@code logs}.
     *
     * @return its generation
     * @throws StoreException {@code CORRUPTED_METADATA} if it is damaged
     */
    static long readSnapshot(Path file, Map<String, Map<String, AckSet>> logs) throws IOException {
        byte[] bytes = AtomicFiles.read(file, Integer.MAX_VALUE - 16);
        CRC32C crc = new CRC32C();
        if (bytes.length < 21) {
            throw damaged(file, "it is truncated");
        }
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if (buf.getInt(bytes.length - 4) != (int) crc.getValue()
                || !Arrays.equals(bytes, 0, 4, SNAPSHOT_MAGIC, 0, 4) || bytes[4] != 1) {
            throw damaged(file, "its checksum or header does not match");
        }
        buf.position(5);
        try {
            long generation = buf.getLong();
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
            return generation;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw damaged(file, "an entry is malformed");
        }
    }

    private static StoreException damaged(Path file, String why) {
        return new StoreException(StoreException.Kind.CORRUPTED_METADATA, "subscription snapshot " + file
                + " is damaged: " + why + "; restore it from backup");
    }

    /**
     * Replays a journal up to its first damaged or incomplete entry, reading it in large chunks.
     *
     * @return the length of its valid prefix
     */
    static long replay(StorageChannel channel, Replay into) throws IOException {
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
                into.apply(type, log, name, a, b);
            } catch (BufferUnderflowException | IllegalArgumentException e) {
                break;
            }
            position += 8 + length;
            buf.position((int) (position - bufStart));
        }
        return position;
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
}
