package org.securebroker.store;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.securebroker.store.crypto.DataKeyFile;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.crypto.WrappedDataKey;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;
import org.securebroker.store.record.OffsetRange;

/**
 * A log's manifest, {@code keys/LOGID.dek} version 2: every segment the log has (its base
 * offset, the offsets reserved for it, where it ended and how long its file is once finished,
 * and its wrapped data key), the start offset, the offsets an operator accepted as lost, and
 * whether the log was closed cleanly; authenticated as a whole by an HMAC-SHA256 tag under a key
 * derived from a KEK ({@link MetadataMac}, purpose {@value #PURPOSE}). Layout (big-endian; str =
 * u16 length + UTF-8):
 *
 * <pre>
 *  0   4  magic "BDKF"
 *  4   1  version = 2
 *  5   1  flags: bit 0 = closed cleanly (every segment finished, the last one ends the log)
 *  6   2  reserved (0)
 *  8  16  logId
 * 24   8  sequence (one more on every write)
 * 32   8  startOffset
 * 40   .  str name
 *  .   .  str KEK id of the tag
 *  .   4  lost range count, then per range: u64 from, u64 to (accepted as lost; never handed out)
 *  .   4  segment count, then per segment, by base offset:
 *           u64 base, u64 limit (offsets [base, limit) are reserved for it),
 *           u64 end (one past its last offset; 2^64-1 while it takes appends),
 *           u64 length (its file's size once finished; 0 while it takes appends or if it has no file),
 *           u32 keyId, u8 n, n bytes KEK id, 12 wrap nonce, 48 wrapped key and tag
 *  .  32  HMAC-SHA256 of every preceding byte
 * </pre>
 *
 * Version 1 (wrapped keys and a CRC, no segment bookkeeping) is still read, once, to upgrade a
 * log written by an earlier version.
 *
 * <p>Thread-safety: immutable.
 */
record LogManifest(byte[] logId, String name, long sequence, long startOffset, boolean clean, List<OffsetRange> lost,
                   List<Entry> entries, boolean legacy, String kekId) {

    static final String PURPOSE = "log-manifest";
    static final long OPEN = -1;
    private static final byte[] MAGIC = "BDKF".getBytes(StandardCharsets.US_ASCII);
    private static final byte VERSION = 2;
    private static final int MAX_BYTES = 64 * 1024 * 1024;

    /**
     * One segment of the log.
     *
     * @param end one past its last offset, or {@link #OPEN} while it takes appends
     * @param length its file's size once finished; 0 if it never had a file
     */
    record Entry(long base, long limit, long end, long length, WrappedDataKey key) {

        boolean isOpen() {
            return end == OPEN;
        }

        /** A segment whose file was never created (or held nothing): no file is expected. */
        boolean isVacant() {
            return !isOpen() && length == 0;
        }

        Entry finished(long endOffset, long fileLength) {
            return new Entry(base, limit, endOffset, fileLength, key);
        }

        Entry withKey(WrappedDataKey k) {
            return new Entry(base, limit, end, length, k);
        }

        Entry withLimit(long newLimit) {
            return new Entry(base, newLimit, end, length, key);
        }

        @Override
        public String toString() {
            return "segment " + base + " [" + base + ", " + (isOpen() ? "open" : String.valueOf(end)) + ") limit " + limit;
        }
    }

    LogManifest {
        logId = logId.clone();
        lost = List.copyOf(lost);
        entries = List.copyOf(entries);
    }

    static LogManifest empty(byte[] logId, String name, long startOffset) {
        return new LogManifest(logId, name, 0, startOffset, false, List.of(), List.of(), false, null);
    }

    @Override
    public byte[] logId() {
        return logId.clone();
    }

    LogManifest withEntries(List<Entry> list) {
        return new LogManifest(logId, name, sequence, startOffset, false, lost, list, false, kekId);
    }

    LogManifest withStart(long start) {
        return new LogManifest(logId, name, sequence, start, clean, lost, entries, false, kekId);
    }

    LogManifest withClean(boolean isClean) {
        return new LogManifest(logId, name, sequence, startOffset, isClean, lost, entries, false, kekId);
    }

    LogManifest withLost(List<OffsetRange> ranges) {
        return new LogManifest(logId, name, sequence, startOffset, false, ranges, entries, false, kekId);
    }

    /** The wrapped data keys, one per segment. */
    List<WrappedDataKey> keys() {
        List<WrappedDataKey> out = new ArrayList<>(entries.size());
        entries.forEach(e -> out.add(e.key()));
        return out;
    }

    /** The highest offset ever reserved: no offset at or above it was handed out. */
    long reservedEnd() {
        long end = startOffset;
        for (Entry e : entries) {
            end = Math.max(end, Math.max(e.limit(), e.isOpen() ? e.base() : e.end()));
        }
        for (OffsetRange r : lost) {
            end = Math.max(end, r.to());
        }
        return end;
    }

    /** Writes the manifest with the next sequence number, atomically, and returns what was written. */
    LogManifest write(FileLayer layer, Path file, MetadataMac mac) throws IOException {
        LogManifest next = new LogManifest(logId, name, sequence + 1, startOffset, clean, lost, entries, false,
                mac.kekId());
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] kekBytes = mac.kekId().getBytes(StandardCharsets.US_ASCII);
        int size = 40 + 2 + nameBytes.length + 2 + kekBytes.length + 4 + lost.size() * 16 + 4 + MetadataMac.TAG_BYTES;
        for (Entry e : entries) {
            size += 36 + 1 + e.key().kekId().length() + WrappedDataKey.NONCE_BYTES + WrappedDataKey.CIPHERTEXT_BYTES;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(MAGIC).put(VERSION).put((byte) (clean ? 1 : 0)).putShort((short) 0).put(logId)
                .putLong(next.sequence).putLong(startOffset);
        buf.putShort((short) nameBytes.length).put(nameBytes).putShort((short) kekBytes.length).put(kekBytes);
        buf.putInt(lost.size());
        for (OffsetRange r : lost) {
            buf.putLong(r.from()).putLong(r.to());
        }
        buf.putInt(entries.size());
        for (Entry e : entries) {
            WrappedDataKey k = e.key();
            byte[] kek = k.kekId().getBytes(StandardCharsets.US_ASCII);
            buf.putLong(e.base()).putLong(e.limit()).putLong(e.end()).putLong(e.length()).putInt(k.keyId())
                    .put((byte) kek.length).put(kek).put(k.nonce()).put(k.ciphertext());
        }
        buf.put(mac.tag(buf.array(), 0, buf.position()));
        AtomicFiles.write(layer, file, buf.flip());
        return next;
    }

    /**
     * Reads and authenticates a manifest. A version-1 file (no tag) is read as a legacy manifest
     * whose segments' ends are unknown; the caller upgrades it.
     *
     * @throws StoreException {@code CORRUPTED_METADATA} if the file is damaged, altered or belongs
     *     to another log, {@code KEY_ERROR} if the KEK of its tag is not in the keyring
     */
    static LogManifest read(Path file, byte[] expectedLogId, String expectedName, Keyring keyring) throws IOException {
        byte[] bytes = AtomicFiles.read(file, MAX_BYTES);
        if (bytes.length >= 5 && Arrays.equals(bytes, 0, 4, MAGIC, 0, 4) && bytes[4] == 1) {
            List<WrappedDataKey> keys = DataKeyFile.read(file, expectedLogId);
            List<Entry> entries = new ArrayList<>(keys.size());
            keys.stream().sorted(java.util.Comparator.comparingLong(WrappedDataKey::segmentBase))
                    .forEach(k -> entries.add(new Entry(k.segmentBase(), k.segmentBase(), OPEN, 0, k)));
            return new LogManifest(expectedLogId, expectedName, 0, 0, false, List.of(), entries, true, null);
        }
        if (bytes.length < 40 + MetadataMac.TAG_BYTES || !Arrays.equals(bytes, 0, 4, MAGIC, 0, 4)) {
            throw damaged(file, "it is not a log manifest");
        }
        if (bytes[4] != VERSION) {
            throw damaged(file, "its version " + bytes[4] + " is not one this broker reads (1 or 2)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes, 0, bytes.length - MetadataMac.TAG_BYTES);
        try {
            boolean clean = (bytes[5] & 1) != 0;
            byte[] logId = Arrays.copyOfRange(bytes, 8, 24);
            buf.position(24);
            long sequence = buf.getLong();
            long start = buf.getLong();
            String name = str(buf, StandardCharsets.UTF_8);
            String kekId = str(buf, StandardCharsets.US_ASCII);
            MetadataMac mac = MetadataMac.derive(keyring, kekId, PURPOSE).orElseThrow(() -> new StoreException(
                    StoreException.Kind.KEY_ERROR, "the manifest " + file + " is authenticated with KEK '" + kekId
                    + "', which is not in the keyring; add it back to the key file"));
            if (!mac.verify(bytes, 0, bytes.length - MetadataMac.TAG_BYTES,
                    Arrays.copyOfRange(bytes, bytes.length - MetadataMac.TAG_BYTES, bytes.length))) {
                throw damaged(file, "its authentication tag does not match (it was altered or is not this store's)");
            }
            if (!Arrays.equals(logId, expectedLogId) || !name.equals(expectedName)) {
                throw damaged(file, "it belongs to another log ('" + name + "')");
            }
            int lostCount = buf.getInt();
            if (lostCount < 0 || lostCount > bytes.length / 16) {
                throw damaged(file, "its lost-range count is implausible");
            }
            List<OffsetRange> lost = new ArrayList<>(lostCount);
            for (int i = 0; i < lostCount; i++) {
                lost.add(new OffsetRange(buf.getLong(), buf.getLong()));
            }
            int count = buf.getInt();
            if (count < 0 || count > bytes.length / 100) {
                throw damaged(file, "its segment count is implausible");
            }
            List<Entry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long base = buf.getLong();
                long limit = buf.getLong();
                long end = buf.getLong();
                long length = buf.getLong();
                int keyId = buf.getInt();
                byte[] kek = new byte[buf.get() & 0xFF];
                buf.get(kek);
                byte[] nonce = new byte[WrappedDataKey.NONCE_BYTES];
                buf.get(nonce);
                byte[] wrapped = new byte[WrappedDataKey.CIPHERTEXT_BYTES];
                buf.get(wrapped);
                entries.add(new Entry(base, limit, end, length,
                        new WrappedDataKey(base, keyId, new String(kek, StandardCharsets.US_ASCII), nonce, wrapped)));
            }
            if (buf.hasRemaining()) {
                throw damaged(file, "it has trailing bytes");
            }
            return new LogManifest(logId, name, sequence, start, clean, lost, entries, false, kekId);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw damaged(file, "an entry is malformed");
        }
    }

    private static String str(ByteBuffer buf, java.nio.charset.Charset charset) {
        int n = buf.getShort() & 0xFFFF;
        byte[] b = new byte[n];
        buf.get(b);
        return new String(b, charset);
    }

    private static StoreException damaged(Path file, String why) {
        return new StoreException(StoreException.Kind.CORRUPTED_METADATA, "log manifest " + file + " is damaged: " + why
                + "; restore it from the key backup");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogManifest m && Arrays.equals(logId, m.logId) && sequence == m.sequence && name.equals(m.name)
                && startOffset == m.startOffset && clean == m.clean && lost.equals(m.lost) && entries.equals(m.entries);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(sequence) * 31 + name.hashCode();
    }

    @Override
    public String toString() {
        return "LogManifest[" + name + ", seq=" + sequence + ", start=" + startOffset + ", clean=" + clean + ", "
                + entries.size() + " segment(s)]";
    }
}
