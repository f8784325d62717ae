package org.securebroker.store.subscription;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.StorageChannel;
import org.securebroker.store.record.OffsetRange;

/**
 * The files of the subscription state, format version 2, in {@code subscriptions/} (big-endian):
 * <pre>
 * snapshot    "BSUB" | u8 version=2 | u64 generation | str kekId | keyCheck[8] | u32 logs
 *             | per log: str name | u32 subs
 *             |   per sub: str name | u64 committed | u32 ranges | ranges x (u64 from, u64 to)
 *             | tag[32] = HMAC-SHA256 of every preceding byte
 *             keyCheck = first 8 bytes of HMAC-SHA256("subscriptions key check")
 * journal-G   header: "BSUJ" | u8 version=2 | u64 generation G       (13 bytes)
 *             entries: u32 length | body (length bytes) | tag[16]
 *             body = u8 type | str log | str subscription | u64 a | u64 b
 *             type 1 CREATE (a = start offset), 2 ACK [a, b), 3 DELETE, 4 DELETE_LOG,
 *                  5 SEEK (a = position: every offset below acknowledged, none at or above)
 *             tag = first 16 bytes of HMAC-SHA256(chain | u32 length | body), where chain is the
 *             previous entry's tag, and for the first entry the first 16 bytes of snapshot G's tag
 * str = u16 length + UTF-8
 * </pre>
 * The HMAC key is {@link MetadataMac} {@value #PURPOSE} under the KEK the snapshot names; the
 * journal of a generation is tagged under the same KEK as its snapshot. The key check tells a
 * keyring that holds another key under the KEK id ({@code KEY_ERROR}) from an edited file
 * ({@code CORRUPTED_METADATA}); an HMAC output under the derived key, it says nothing about the
 * key. The snapshot's tag covers
 * its generation and KEK id; the entries' chain starts from that tag, so a journal belongs to one
 * snapshot and its entries to one position (see {@link EntryChain}). Version 1 is read by
 * {@link SubscriptionFormatV1}, for migration only.
 *
 * <p>Thread-safety: stateless.
 */
final class SubscriptionFormat {

    static final byte CREATE = 1;
    static final byte ACK = 2;
    static final byte DELETE = 3;
    static final byte DELETE_LOG = 4;
    static final byte SEEK = 5;

    static final byte VERSION = 2;
    /** The metadata key's purpose, see {@link MetadataMac#derive}. */
    static final String PURPOSE = "subscriptions";
    static final int SNAPSHOT_TAG_BYTES = MetadataMac.TAG_BYTES;
    static final int KEY_CHECK_BYTES = 8;
    static final int JOURNAL_HEADER_BYTES = 4 + 1 + 8;
    /** What an entry adds to its body: the length before it and the tag after it. */
    static final int ENTRY_OVERHEAD = 4 + EntryChain.TAG_BYTES;
    static final int MIN_BODY = 1 + 2 + 2 + 16;
    static final int MAX_BODY = 1 + 2 * (2 + 65535) + 16;

    static final byte[] SNAPSHOT_MAGIC = "BSUB".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JOURNAL_MAGIC = "BSUJ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_CHECK_INPUT = "subscriptions key check".getBytes(StandardCharsets.US_ASCII);
    /** Kek ids are at most 64 characters (see {@code Kek}). */
    private static final int MAX_KEK_ID = 64;

    /** Takes the journal's entries as they are replayed. */
    @FunctionalInterface
    interface Replay {
        /**
         * Applies one entry.
         *
         * @throws IllegalArgumentException if the entry cannot be applied (an unknown type)
         */
        void apply(byte type, String log, String name, long a, long b);
    }

    /**
     * What a verified snapshot says about itself: its generation, the key that tagged it, and the
     * chain its journal starts from.
     */
    record SnapshotInfo(long generation, MetadataMac key, EntryChain chain) {
    }

    private SubscriptionFormat() {
    }

    // ---- journal entries

    /** The body of one journal entry; {@link EntryChain#append} frames and tags it. */
    static byte[] body(byte type, String log, String name, long a, long b) {
        byte[] logBytes = utf8(log);
        byte[] nameBytes = utf8(name);
        ByteBuffer body = ByteBuffer.allocate(1 + 2 + logBytes.length + 2 + nameBytes.length + 16);
        body.put(type).putShort((short) logBytes.length).put(logBytes)
                .putShort((short) nameBytes.length).put(nameBytes).putLong(a).putLong(b);
        return body.array();
    }

    /** The bytes an entry of {@code bodyLength} takes in the journal. */
    static int entrySize(int bodyLength) {
        return ENTRY_OVERHEAD + bodyLength;
    }

    /**
     * Decodes the body at {@code bytes[offset, offset + length)} into {@code into}.
     *
     * @throws IllegalArgumentException if it is malformed or {@code into} refuses it
     */
    static void decode(byte[] bytes, int offset, int length, Replay into) {
        ByteBuffer body = ByteBuffer.wrap(bytes, offset, length);
        try {
            byte type = body.get();
            String log = getString(body);
            String name = getString(body);
            long a = body.getLong();
            long b = body.getLong();
            if (body.hasRemaining()) {
                throw new IllegalArgumentException(body.remaining() + " bytes after the entry's fields");
            }
            into.apply(type, log, name, a, b);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("the entry's fields run past its end", e);
        }
    }

    // ---- journal header

    /** The header a journal of generation {@code gen} starts with. */
    static ByteBuffer journalHeader(long gen) {
        return ByteBuffer.allocate(JOURNAL_HEADER_BYTES).put(JOURNAL_MAGIC).put(VERSION).putLong(gen).flip();
    }

    /** Whether {@code channel} starts with a version-2 journal's magic (a version-1 journal never does). */
    static boolean hasJournalMagic(StorageChannel channel) throws IOException {
        ByteBuffer magic = ByteBuffer.allocate(JOURNAL_MAGIC.length);
        return channel.readFully(magic, 0) == JOURNAL_MAGIC.length && Arrays.equals(magic.array(), JOURNAL_MAGIC);
    }

    /**
     * Checks that {@code channel} starts with the header of a version-2 journal of generation
     * {@code gen}. Journals are created with their header atomically, so a bad header is no tear.
     *
     * @throws StoreException {@code CORRUPTED_METADATA} if it does not
     */
    static void checkJournalHeader(StorageChannel channel, Path file, long gen) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(JOURNAL_HEADER_BYTES);
        int read = channel.readFully(header, 0);
        header.flip();
        if (read < JOURNAL_HEADER_BYTES || !Arrays.equals(header.array(), 0, 4, JOURNAL_MAGIC, 0, 4)) {
            throw SubscriptionRecovery.refusal(file, "does not start with a journal header (it is damaged, or was "
                    + "written by version 1 beside a version 2 snapshot)");
        }
        if (header.get(4) != VERSION || header.getLong(5) != gen) {
            throw SubscriptionRecovery.refusal(file, "has a header of version " + header.get(4) + ", generation "
                    + header.getLong(5) + " where version " + VERSION + ", generation " + gen + " belongs");
        }
    }

    // ---- snapshot

    /**
     * The snapshot of {@code logs} that starts journal generation {@code gen}, tagged under the
     * KEK {@code kekId}: the whole file, with the tag's last {@value #SNAPSHOT_TAG_BYTES} bytes
     * still zero ({@link #sign} fills them).
     */
    static byte[] snapshot(long gen, MetadataMac key, Map<String, Map<String, AckSet>> logs) {
        String kekId = key.kekId();
        int size = 4 + 1 + 8 + 2 + utf8(kekId).length + KEY_CHECK_BYTES + 4 + SNAPSHOT_TAG_BYTES;
        for (Map.Entry<String, Map<String, AckSet>> log : logs.entrySet()) {
            size += 2 + utf8(log.getKey()).length + 4;
            for (Map.Entry<String, AckSet> sub : log.getValue().entrySet()) {
                size += 2 + utf8(sub.getKey()).length + 8 + 4 + 16 * sub.getValue().rangeCount();
            }
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(SNAPSHOT_MAGIC).put(VERSION).putLong(gen);
        putString(buf, kekId);
        buf.put(keyCheck(key));
        buf.putInt(logs.size());
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
        return buf.array();
    }

    /** The key check of {@code key}: a fixed input's tag, cut short. */
    static byte[] keyCheck(MetadataMac key) {
        return Arrays.copyOf(key.tag(KEY_CHECK_INPUT, 0, KEY_CHECK_INPUT.length), KEY_CHECK_BYTES);
    }

    /** Writes the tag of {@code snapshot} (made by {@link #snapshot}) into its last bytes, and returns it. */
    static byte[] sign(byte[] snapshot, MetadataMac key) {
        int body = snapshot.length - SNAPSHOT_TAG_BYTES;
        byte[] tag = key.tag(snapshot, 0, body);
        System.arraycopy(tag, 0, snapshot, body, SNAPSHOT_TAG_BYTES);
        return tag;
    }

    /** The format version of a snapshot file's bytes, or -1 if it does not start with the snapshot magic. */
    static int version(byte[] bytes) {
        if (bytes.length < 5 || !Arrays.equals(bytes, 0, 4, SNAPSHOT_MAGIC, 0, 4)) {
            return -1;
        }
        return bytes[4];
    }

    /**
     * Verifies a version-2 snapshot and reads it into {@code logs}.
     *
     * @param keys the metadata key of a KEK id; throws {@code KEY_ERROR} if the keyring lacks it
     * @throws StoreException {@code CORRUPTED_METADATA} if it is damaged or fails its tag,
     *     {@code KEY_ERROR} if the keyring's KEK of that id is not the key it was written with
     */
    static SnapshotInfo readSnapshot(Path file, byte[] bytes, Function<String, MetadataMac> keys,
                                     Map<String, Map<String, AckSet>> logs) {
        int body = bytes.length - SNAPSHOT_TAG_BYTES;
        if (body < 4 + 1 + 8 + 2 + 1 + KEY_CHECK_BYTES + 4) {
            throw SubscriptionRecovery.refusal(file, "is truncated (" + bytes.length + " bytes)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes, 0, body);
        buf.position(5);
        long generation = buf.getLong();
        int kekIdLength = buf.getShort() & 0xFFFF;
        if (kekIdLength == 0 || kekIdLength > MAX_KEK_ID || kekIdLength + KEY_CHECK_BYTES > buf.remaining()) {
            throw SubscriptionRecovery.refusal(file, "has a damaged header (its KEK id length is " + kekIdLength + ")");
        }
        byte[] kekIdBytes = new byte[kekIdLength];
        buf.get(kekIdBytes);
        String kekId = new String(kekIdBytes, StandardCharsets.US_ASCII);
        MetadataMac key = keys.apply(kekId);
        byte[] keyCheck = new byte[KEY_CHECK_BYTES];
        buf.get(keyCheck);
        if (!MessageDigest.isEqual(keyCheck, keyCheck(key))) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "subscription state file " + file + " was "
                    + "written under another key than KEK '" + kekId + "' of the keyring (its key check does not "
                    + "match): the key file holds a different key under that id, or the file is damaged");
        }
        byte[] tag = Arrays.copyOfRange(bytes, body, bytes.length);
        if (!key.verify(bytes, 0, body, tag)) {
            throw SubscriptionRecovery.refusal(file, "fails its authentication tag: it was edited, damaged, or made "
                    + "with another key");
        }
        try {
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
            throw SubscriptionRecovery.refusal(file, "is authentic but cannot be decoded (" + e + ")");
        }
        if (buf.hasRemaining()) {
            throw SubscriptionRecovery.refusal(file, "is authentic but has " + buf.remaining() + " bytes after its "
                    + "last subscription");
        }
        return new SnapshotInfo(generation, key, new EntryChain(key, tag));
    }

    // ---- strings

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void putString(ByteBuffer buf, String s) {
        byte[] b = utf8(s);
        buf.putShort((short) b.length).put(b);
    }

    static String getString(ByteBuffer buf) {
        int length = buf.getShort() & 0xFFFF;
        if (length > buf.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] b = new byte[length];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
