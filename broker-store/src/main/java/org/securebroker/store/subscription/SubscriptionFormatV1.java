package org.securebroker.store.subscription;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.securebroker.store.io.StorageChannel;

/**
 * Reads the subscription files of format version 1, which only a store opened without a
 * checkpoint accepts, once, to rewrite them as version 2 ({@link SubscriptionRecovery}):
 * <pre>
 * snapshot            "BSUB" | u8 version=1 | u64 generation | u32 logs
 *                     | per log: str name | u32 subs
 *                     |   per sub: str name | u64 committed | u32 ranges | ranges x (u64 from, u64 to)
 *                     | u32 CRC32C of all preceding bytes
 * journal-GENERATION  entries: u32 length | u32 CRC32C(body) | body
 *                     body as in version 2 ({@link SubscriptionFormat})
 * </pre>
 * Checksums only: version 1 detects damage, not edits.
 *
 * <p>Thread-safety: stateless.
 */
final class SubscriptionFormatV1 {

    private SubscriptionFormatV1() {
    }

    /**
     * Reads a version-1 snapshot into {@code logs}.
     *
     * @return its generation
     * @throws org.securebroker.store.failure.StoreException {@code CORRUPTED_METADATA} if it is damaged
     */
    static long readSnapshot(Path file, byte[] bytes, Map<String, Map<String, AckSet>> logs) {
        if (bytes.length < 21) {
            throw SubscriptionRecovery.refusal(file, "(format version 1) is truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer buf = ByteBuffer.wrap(bytes, 0, bytes.length - 4);
        if (ByteBuffer.wrap(bytes).getInt(bytes.length - 4) != (int) crc.getValue()) {
            throw SubscriptionRecovery.refusal(file, "(format version 1) fails its checksum");
        }
        buf.position(5);
        try {
            long generation = buf.getLong();
            int logCount = buf.getInt();
            for (int i = 0; i < logCount; i++) {
                String log = SubscriptionFormat.getString(buf);
                int subs = buf.getInt();
                Map<String, AckSet> map = new LinkedHashMap<>();
                for (int j = 0; j < subs; j++) {
                    String name = SubscriptionFormat.getString(buf);
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
            throw SubscriptionRecovery.refusal(file, "(format version 1) has a malformed entry");
        }
    }

    /**
     * Replays a version-1 journal up to its first damaged or incomplete entry, reading it in
     * large chunks.
     *
     * @return the length of its valid prefix
     */
    static long replay(StorageChannel channel, SubscriptionFormat.Replay into) throws IOException {
        long size = channel.size();
        ByteBuffer buf = ByteBuffer.allocate(Math.max(1 << 20, 2 * (8 + SubscriptionFormat.MAX_BODY)));
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
            if (length < SubscriptionFormat.MIN_BODY || length > SubscriptionFormat.MAX_BODY
                    || position + 8 + length > size || buf.remaining() < 8 + length) {
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(buf.array(), at + 8, length);
            if ((int) crc.getValue() != crcValue) {
                break;
            }
            try {
                SubscriptionFormat.decode(buf.array(), at + 8, length, into);
            } catch (IllegalArgumentException e) {
                break;
            }
            position += 8 + length;
            buf.position((int) (position - bufStart));
        }
        return position;
    }
}
