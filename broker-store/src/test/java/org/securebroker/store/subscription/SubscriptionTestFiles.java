package org.securebroker.store.subscription;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.securebroker.store.crypto.Kek;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.io.DefaultFileLayer;

/**
 * What the subscription tests share: fixed KEKs, opening a store, and reading and damaging its
 * files as docs/storage-format.md draws them (parsed here independently of the code under test).
 */
final class SubscriptionTestFiles {

    static final Kek KEK_A = kek("kek-a", 0x11);
    static final Kek KEK_B = kek("kek-b", 0x22);
    static final Keyring A = Keyring.of(KEK_A);
    static final Keyring B = Keyring.of(KEK_B);
    /** Both KEKs, B current: after a rotation from A. */
    static final Keyring A_THEN_B = Keyring.of(List.of(KEK_A, KEK_B), "kek-b");
    /** Large enough that no test compacts unless it means to. */
    static final long NO_COMPACTION = 1L << 40;
    static final int JOURNAL_HEADER = 13;
    static final int TAG = 16;

    private SubscriptionTestFiles() {
    }

    private static Kek kek(String id, int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        return Kek.of(id, key);
    }

    static SubscriptionStore open(Path dir, Keyring keyring, SubscriptionCheckpoint expected) throws IOException {
        return open(dir, keyring, expected, NO_COMPACTION);
    }

    static SubscriptionStore open(Path dir, Keyring keyring, SubscriptionCheckpoint expected, long compactBytes)
            throws IOException {
        return SubscriptionStore.open(dir, DefaultFileLayer.INSTANCE, Duration.ZERO, compactBytes, e -> { }, keyring,
                expected);
    }

    static Path snapshot(Path dir) {
        return dir.resolve("snapshot");
    }

    static Path journal(Path dir, long generation) {
        return dir.resolve("journal-" + generation);
    }

    /** The generation the snapshot file says it is (its bytes 5-12). */
    static long snapshotGeneration(Path dir) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(snapshot(dir))).getLong(5);
    }

    /** The KEK id the snapshot file names. */
    static String snapshotKekId(Path dir) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(snapshot(dir)));
        byte[] id = new byte[buf.getShort(13)];
        buf.position(15).get(id);
        return new String(id, StandardCharsets.US_ASCII);
    }

    /** One journal entry in the file: where it starts and how long it is, tag included. */
    record EntryAt(int offset, int length) {
        int end() {
            return offset + length;
        }
    }

    /** The entries of a journal, as far as their lengths lead. */
    static List<EntryAt> entries(Path journal) throws IOException {
        byte[] bytes = Files.readAllBytes(journal);
        List<EntryAt> entries = new ArrayList<>();
        int at = JOURNAL_HEADER;
        while (at + 4 <= bytes.length) {
            int length = 4 + ByteBuffer.wrap(bytes).getInt(at) + TAG;
            if (at + length > bytes.length) {
                break;
            }
            entries.add(new EntryAt(at, length));
            at += length;
        }
        return entries;
    }

    static void flipBit(Path file, int offset, int bit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[offset] ^= (byte) (1 << bit);
        Files.write(file, bytes);
    }

    static void truncate(Path file, int length) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, length));
    }

    /** Exchanges two entries of equal length. */
    static void swap(Path journal, EntryAt a, EntryAt b) throws IOException {
        if (a.length() != b.length()) {
            throw new IllegalArgumentException("entries of different lengths: " + a + ", " + b);
        }
        byte[] bytes = Files.readAllBytes(journal);
        byte[] first = Arrays.copyOfRange(bytes, a.offset(), a.end());
        System.arraycopy(bytes, b.offset(), bytes, a.offset(), b.length());
        System.arraycopy(first, 0, bytes, b.offset(), first.length);
        Files.write(journal, bytes);
    }

    /** Copies every file of {@code from} into {@code to} (created), replacing what is there. */
    static void copyDirectory(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Replaces the contents of {@code dir} by those of {@code copy}: a restore of an old backup. */
    static void restore(Path copy, Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        copyDirectory(copy, dir);
    }

    // ---- format version 1, written as the previous release wrote it

    /** A version-1 snapshot: one log with one subscription. */
    static byte[] snapshotV1(long generation, String log, String name, long committed, long rangeFrom, long rangeTo) {
        byte[] logBytes = log.getBytes(StandardCharsets.UTF_8);
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(4 + 1 + 8 + 4 + 2 + logBytes.length + 4 + 2 + nameBytes.length + 8 + 4 + 16
                + 4);
        buf.put("BSUB".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).putLong(generation).putInt(1)
                .putShort((short) logBytes.length).put(logBytes).putInt(1)
                .putShort((short) nameBytes.length).put(nameBytes).putLong(committed).putInt(1)
                .putLong(rangeFrom).putLong(rangeTo);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        return buf.array();
    }

    /** A version-1 journal entry. */
    static byte[] entryV1(int type, String log, String name, long a, long b) {
        byte[] logBytes = log.getBytes(StandardCharsets.UTF_8);
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        int body = 1 + 2 + logBytes.length + 2 + nameBytes.length + 16;
        ByteBuffer buf = ByteBuffer.allocate(8 + body);
        buf.putInt(body).putInt(0).put((byte) type).putShort((short) logBytes.length).put(logBytes)
                .putShort((short) nameBytes.length).put(nameBytes).putLong(a).putLong(b);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 8, body);
        buf.putInt(4, (int) crc.getValue());
        return buf.array();
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        ByteBuffer buf = ByteBuffer.allocate(length);
        for (byte[] p : parts) {
            buf.put(p);
        }
        return buf.array();
    }
}
