package org.securebroker.store;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;

/**
 * The store's own state, {@code store.state} in the data directory: which logs exist (name and
 * id) with a checkpoint of each one's durable end, the subscription state's checkpoint, and
 * named counters kept for the store's owner ({@link Store#anchor}). It is what lets the store
 * tell a missing, shortened or rolled-back file from a shorter log: a log whose files end below
 * its checkpoint, or that is listed but gone, is not opened. Authenticated by HMAC-SHA256 under
 * a key derived from a KEK ({@link MetadataMac}, purpose {@value #PURPOSE}). Layout (big-endian;
 * str = u16 length + UTF-8):
 *
 * <pre>
 *  0   4  magic "BSST"
 *  4   1  version = 1
 *  5   3  reserved (0)
 *  8   8  sequence (one more on every write)
 * 16   .  str KEK id of the tag
 *  .  16  KEK check: the first 16 bytes of HMAC(metadata key, "kek-check"), which tells a wrong KEK
 *         (refused as a key error) from an altered file
 *  .   4  log count, then per log (by name): str name, 16 logId, u64 checkpoint (durable end offset)
 *  .   4  anchor count, then per anchor (by name): str name, u64 value
 *  .   8  subscription generation, 8 subscription journal entries (both 2^64-1 if none recorded)
 *  .  32  HMAC-SHA256 of every preceding byte
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
record StoreState(long sequence, Map<String, LogEntry> logs, Map<String, Long> anchors, long subscriptionGeneration,
                  long subscriptionEntries) {

    static final String FILE_NAME = "store.state";
    static final String PURPOSE = "store-state";
    private static final byte[] MAGIC = "BSST".getBytes(StandardCharsets.US_ASCII);
    private static final byte VERSION = 1;
    private static final int CHECK_BYTES = 16;

    /** One log: its id and the durable end it had at the last checkpoint. */
    record LogEntry(byte[] logId, long checkpoint) {
        LogEntry {
            logId = logId.clone();
        }

        @Override
        public byte[] logId() {
            return logId.clone();
        }

        String idHex() {
            return HexFormat.of().formatHex(logId);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LogEntry e && Arrays.equals(logId, e.logId) && checkpoint == e.checkpoint;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(logId);
        }

        @Override
        public String toString() {
            return "LogEntry[" + idHex() + ", checkpoint=" + checkpoint + "]";
        }
    }

    StoreState {
        logs = java.util.Collections.unmodifiableMap(new TreeMap<>(logs));
        anchors = java.util.Collections.unmodifiableMap(new TreeMap<>(anchors));
    }

    static StoreState empty() {
        return new StoreState(0, Map.of(), Map.of(), -1, -1);
    }

    StoreState withLogs(Map<String, LogEntry> newLogs) {
        return new StoreState(sequence, newLogs, anchors, subscriptionGeneration, subscriptionEntries);
    }

    StoreState withAnchors(Map<String, Long> newAnchors) {
        return new StoreState(sequence, logs, newAnchors, subscriptionGeneration, subscriptionEntries);
    }

    StoreState withSubscriptions(long generation, long entries) {
        return new StoreState(sequence, logs, anchors, generation, entries);
    }

    static boolean exists(Path root) {
        return Files.exists(root.resolve(FILE_NAME));
    }

    /** Writes the state with the next sequence number, atomically, and returns what was written. */
    StoreState write(FileLayer layer, Path root, MetadataMac mac) throws IOException {
        StoreState next = new StoreState(sequence + 1, logs, anchors, subscriptionGeneration, subscriptionEntries);
        byte[] kek = mac.kekId().getBytes(StandardCharsets.US_ASCII);
        int size = 16 + 2 + kek.length + CHECK_BYTES + 4 + 4 + 16 + MetadataMac.TAG_BYTES;
        for (String name : logs.keySet()) {
            size += 2 + name.getBytes(StandardCharsets.UTF_8).length + 16 + 8;
        }
        for (String name : anchors.keySet()) {
            size += 2 + name.getBytes(StandardCharsets.UTF_8).length + 8;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(MAGIC).put(VERSION).put(new byte[3]).putLong(next.sequence);
        buf.putShort((short) kek.length).put(kek).put(kekCheck(mac));
        buf.putInt(logs.size());
        logs.forEach((name, e) -> {
            putStr(buf, name);
            buf.put(e.logId).putLong(e.checkpoint());
        });
        buf.putInt(anchors.size());
        anchors.forEach((name, v) -> {
            putStr(buf, name);
            buf.putLong(v);
        });
        buf.putLong(subscriptionGeneration).putLong(subscriptionEntries);
        buf.put(mac.tag(buf.array(), 0, buf.position()));
        AtomicFiles.write(layer, root.resolve(FILE_NAME), buf.flip());
        return next;
    }

    /**
     * @throws StoreException {@code CORRUPTED_METADATA} if the file is damaged or altered,
     *     {@code KEY_ERROR} if the KEK of its tag is not in the keyring
     */
    static StoreState read(Path root, Keyring keyring) throws IOException {
        Path file = root.resolve(FILE_NAME);
        byte[] bytes = AtomicFiles.read(file, 64 * 1024 * 1024);
        if (bytes.length < 18 + MetadataMac.TAG_BYTES || !Arrays.equals(bytes, 0, 4, MAGIC, 0, 4)) {
            throw damaged(file, "it is not a store state file");
        }
        if (bytes[4] != VERSION) {
            throw damaged(file, "its version " + bytes[4] + " is not one this broker reads");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes, 0, bytes.length - MetadataMac.TAG_BYTES);
        try {
            buf.position(8);
            long sequence = buf.getLong();
            String kekId = str(buf);
            MetadataMac mac = MetadataMac.derive(keyring, kekId, PURPOSE).orElseThrow(() -> new StoreException(
                    StoreException.Kind.KEY_ERROR, file + " is authenticated with KEK '" + kekId
                    + "', which is not in the keyring; add it back to the key file"));
            byte[] check = new byte[CHECK_BYTES];
            buf.get(check);
            if (!java.security.MessageDigest.isEqual(check, kekCheck(mac))) {
                throw new StoreException(StoreException.Kind.KEY_ERROR, file + " was written under a KEK with id '" + kekId
                        + "' that is not the one in the keyring: the key does not unwrap this store's keys; use the "
                        + "key file the store was written with");
            }
            if (!mac.verify(bytes, 0, bytes.length - MetadataMac.TAG_BYTES,
                    Arrays.copyOfRange(bytes, bytes.length - MetadataMac.TAG_BYTES, bytes.length))) {
                throw damaged(file, "its authentication tag does not match (it was altered or is not this store's)");
            }
            int count = buf.getInt();
            if (count < 0 || count > bytes.length / 26) {
                throw damaged(file, "its log count is implausible");
            }
            Map<String, LogEntry> logs = new TreeMap<>();
            for (int i = 0; i < count; i++) {
                String name = str(buf);
                byte[] id = new byte[16];
                buf.get(id);
                logs.put(name, new LogEntry(id, buf.getLong()));
            }
            int anchorCount = buf.getInt();
            if (anchorCount < 0 || anchorCount > bytes.length / 10) {
                throw damaged(file, "its anchor count is implausible");
            }
            Map<String, Long> anchors = new TreeMap<>();
            for (int i = 0; i < anchorCount; i++) {
                String name = str(buf);
                anchors.put(name, buf.getLong());
            }
            long generation = buf.getLong();
            long entries = buf.getLong();
            if (buf.hasRemaining()) {
                throw damaged(file, "it has trailing bytes");
            }
            return new StoreState(sequence, logs, anchors, generation, entries);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw damaged(file, "an entry is malformed");
        }
    }

    /** The KEK id a state file's tag was made with, or null if it cannot be read. */
    static String kekIdOf(Path root) {
        try {
            byte[] bytes = AtomicFiles.read(root.resolve(FILE_NAME), 64 * 1024 * 1024);
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            buf.position(16);
            return str(buf);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static byte[] kekCheck(MetadataMac mac) {
        byte[] check = "kek-check".getBytes(StandardCharsets.US_ASCII);
        return Arrays.copyOf(mac.tag(check, 0, check.length), CHECK_BYTES);
    }

    private static void putStr(ByteBuffer buf, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        buf.putShort((short) b.length).put(b);
    }

    private static String str(ByteBuffer buf) {
        int n = buf.getShort() & 0xFFFF;
        byte[] b = new byte[n];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static StoreException damaged(Path file, String why) {
        return new StoreException(StoreException.Kind.CORRUPTED_METADATA, "the store state " + file + " is damaged: "
                + why + "; restore it from backup");
    }
}
