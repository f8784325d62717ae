package org.securebroker.store.segment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The 64-byte header at the start of every segment file, version 1 (big-endian):
 *
 * <pre>
 * offset size field
 *  0      4   magic "BSEG"
 *  4      1   version = 1
 *  5      3   reserved (0)
 *  8     16   logId
 * 24      8   baseOffset (offset of the first record)
 * 32      4   keyId (the segment's data key)
 * 36      4   reserved (0)
 * 40      8   createdMillis (UTC epoch milliseconds)
 * 48     12   reserved (0)
 * 60      4   CRC32C of bytes [0,60)
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
public record SegmentHeader(byte[] logId, long baseOffset, int keyId, long createdMillis) {

    public static final int BYTES = 64;
    private static final byte[] MAGIC = "BSEG".getBytes(StandardCharsets.US_ASCII);
    private static final byte VERSION = 1;

    public SegmentHeader {
        logId = logId.clone();
    }

    @Override
    public byte[] logId() {
        return logId.clone();
    }

    public ByteBuffer encode() {
        ByteBuffer buf = ByteBuffer.allocate(BYTES);
        buf.put(MAGIC).put(VERSION).put(new byte[3]).put(logId).putLong(baseOffset).putInt(keyId).putInt(0)
                .putLong(createdMillis).put(new byte[12]);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, 60);
        buf.putInt((int) crc.getValue());
        return buf.flip();
    }

    /**
     * @return the header, or {@code null} if the bytes are not a valid version-1 header
     */
    public static SegmentHeader decode(ByteBuffer buf) {
        if (buf.remaining() < BYTES) {
            return null;
        }
        byte[] bytes = new byte[BYTES];
        buf.duplicate().get(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 60);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (!Arrays.equals(bytes, 0, 4, MAGIC, 0, 4) || bytes[4] != VERSION || b.getInt(60) != (int) crc.getValue()) {
            return null;
        }
        byte[] logId = Arrays.copyOfRange(bytes, 8, 24);
        return new SegmentHeader(logId, b.getLong(24), b.getInt(32), b.getLong(40));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SegmentHeader h && Arrays.equals(logId, h.logId) && baseOffset == h.baseOffset
                && keyId == h.keyId && createdMillis == h.createdMillis;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(baseOffset);
    }

    @Override
    public String toString() {
        return "SegmentHeader[base=" + baseOffset + ", keyId=" + Integer.toUnsignedString(keyId, 16) + "]";
    }
}
