package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.FileLayer;

/**
 * The {@code log.meta} file of a log, version 1 (big-endian):
 *
 * <pre>
 * offset size field
 *  0      4   magic "BLOG"
 *  4      1   version = 1
 *  5      3   reserved (0)
 *  8     16   logId (random, fixed for the life of the log)
 * 24      8   createdMillis
 * 32      8   startOffset (records below it were released)
 * 40      2   name length n
 * 42      n   name (UTF-8)
 * 42+n    4   CRC32C of the preceding bytes
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
record LogMetadata(String name, byte[] logId, long createdMillis, long startOffset) {

    static final String FILE_NAME = "log.meta";
    private static final byte[] MAGIC = "BLOG".getBytes(StandardCharsets.US_ASCII);
    private static final byte VERSION = 1;

    LogMetadata withStartOffset(long offset) {
        return new LogMetadata(name, logId, createdMillis, offset);
    }

    void write(FileLayer layer, Path dir) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(46 + nameBytes.length);
        buf.put(MAGIC).put(VERSION).put(new byte[3]).put(logId).putLong(createdMillis).putLong(startOffset)
                .putShort((short) nameBytes.length).put(nameBytes);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        AtomicFiles.write(layer, dir.resolve(FILE_NAME), buf.flip());
    }

    static LogMetadata read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        byte[] bytes = AtomicFiles.read(file, 4096);
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if (bytes.length < 46) {
            throw damaged(file, "it is truncated");
        }
        crc.update(bytes, 0, bytes.length - 4);
        if (buf.getInt(bytes.length - 4) != (int) crc.getValue()) {
            throw damaged(file, "its checksum does not match");
        }
        if (!Arrays.equals(bytes, 0, 4, MAGIC, 0, 4) || bytes[4] != VERSION) {
            throw damaged(file, "it is not a version-1 log metadata file");
        }
        byte[] logId = Arrays.copyOfRange(bytes, 8, 24);
        long created = buf.getLong(24);
        long start = buf.getLong(32);
        int nameLength = buf.getShort(40) & 0xFFFF;
        if (42 + nameLength + 4 != bytes.length) {
            throw damaged(file, "its name length does not match its size");
        }
        String name = new String(bytes, 42, nameLength, StandardCharsets.UTF_8);
        return new LogMetadata(name, logId, created, start);
    }

    private static StoreException damaged(Path file, String why) {
        return new StoreException(StoreException.Kind.CORRUPTED_METADATA, "log metadata " + file + " is damaged: " + why
                + "; restore it from backup");
    }

    @Override
    public byte[] logId() {
        return logId.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogMetadata m && name.equals(m.name) && Arrays.equals(logId, m.logId)
                && createdMillis == m.createdMillis && startOffset == m.startOffset;
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "LogMetadata[" + name + ", start=" + startOffset + "]";
    }
}
