package org.securebroker.store.segment;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.securebroker.store.crypto.RecordCipher;
import org.securebroker.store.crypto.SegmentKey;

/**
 * The on-disk record format, version 1 (big-endian):
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic 0xB7E1          |  version = 1  |     flags     |  0
 * +-------------------------------+---------------+---------------+
 * |                 length (whole record, bytes)                  |  4
 * +---------------------------------------------------------------+
 * |                                                               |  8
 * +                       offset (log offset)                     +
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                                                               | 16
 * +          synced (every offset below was durable when          +
 * |                   this record was written)                    |
 * +---------------------------------------------------------------+
 * |                    keyId (segment data key)                   | 24
 * +---------------------------------------------------------------+
 * |      crc (CRC32C of bytes [0,28) and [32,length))             | 28
 * +---------------------------------------------------------------+
 * |                                                               | 32
 * ~           AES-256-GCM ciphertext (length - 48 bytes)          ~
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                      GCM tag (16 bytes)                       |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * The nonce and associated data are described in {@link RecordCipher}. An <em>end marker</em>
 * is a header-only record (flag {@link #FLAG_END}, length 32, no ciphertext) written when a
 * segment is finished (takes no more appends): its {@code offset} and {@code synced} are the
 * segment's end offset, so every record before it belongs to the acknowledged prefix. ("Seal"
 * means only the {@link org.securebroker.store.RecordSealer}'s signature inside a record.)
 *
 * <p>Thread-safety: stateless.
 */
public final class RecordFormat {

    public static final short MAGIC = (short) 0xB7E1;
    public static final byte VERSION = 1;
    public static final int HEADER_BYTES = 32;
    /** Bytes a record adds to its payload: header and tag. */
    public static final int OVERHEAD = HEADER_BYTES + RecordCipher.TAG_BYTES;
    /** The flag of a segment's end marker. */
    public static final byte FLAG_END = 0x01;

    static final int LENGTH_AT = 4;
    static final int OFFSET_AT = 8;
    static final int SYNCED_AT = 16;
    static final int KEY_ID_AT = 24;
    static final int CRC_AT = 28;

    private RecordFormat() {
    }

    /** The header fields of a record. */
    public record Header(byte flags, int length, long offset, long synced, int keyId, int crc) {
        public boolean isEndMarker() {
            return (flags & FLAG_END) != 0;
        }
    }

    public static int recordLength(int payloadLength) {
        return OVERHEAD + payloadLength;
    }

    /**
     * Encrypts one record into {@code dst} at its position and advances it.
     *
     * @return the record length
     */
    public static int writeRecord(ByteBuffer dst, RecordCipher cipher, SegmentKey key, long offset, long synced,
                                  ByteBuffer plaintext) {
        return writeRecord(dst, cipher, key, offset, synced, plaintext, null);
    }

    /**
     * Encrypts one record whose plaintext is {@code plaintext} followed by {@code trailer} (a
     * {@link org.securebroker.store.RecordSealer seal}; null = none) into {@code dst}.
     *
     * @return the record length
     */
    public static int writeRecord(ByteBuffer dst, RecordCipher cipher, SegmentKey key, long offset, long synced,
                                  ByteBuffer plaintext, ByteBuffer trailer) {
        int start = dst.position();
        int length = recordLength(plaintext.remaining() + (trailer == null ? 0 : trailer.remaining()));
        putHeader(dst, start, (byte) 0, length, offset, synced, key.dataKey().id());
        dst.position(start + HEADER_BYTES);
        int encrypted = cipher.encrypt(key, VERSION, offset, plaintext, trailer, dst);
        if (encrypted != length - HEADER_BYTES) {
            throw new IllegalStateException("cipher wrote " + encrypted + " bytes, expected " + (length - HEADER_BYTES));
        }
        dst.putInt(start + CRC_AT, crc(dst, start, length));
        dst.position(start + length);
        return length;
    }

    /** Writes an end marker at {@code dst}'s position and advances it. */
    public static int writeEndMarker(ByteBuffer dst, int keyId, long nextOffset) {
        int start = dst.position();
        putHeader(dst, start, FLAG_END, HEADER_BYTES, nextOffset, nextOffset, keyId);
        dst.putInt(start + CRC_AT, crc(dst, start, HEADER_BYTES));
        dst.position(start + HEADER_BYTES);
        return HEADER_BYTES;
    }

    private static void putHeader(ByteBuffer dst, int at, byte flags, int length, long offset, long synced, int keyId) {
        dst.putShort(at, MAGIC);
        dst.put(at + 2, VERSION);
        dst.put(at + 3, flags);
        dst.putInt(at + LENGTH_AT, length);
        dst.putLong(at + OFFSET_AT, offset);
        dst.putLong(at + SYNCED_AT, synced);
        dst.putInt(at + KEY_ID_AT, keyId);
        dst.putInt(at + CRC_AT, 0);
    }

    /**
     * Parses the header at absolute index {@code at} of {@code buf} without checking the CRC.
     *
     * @return the header, or {@code null} if the magic, version, flags or length are not those of
     *     a record no longer than {@code maxLength}
     */
    public static Header parseHeader(ByteBuffer buf, int at, int maxLength) {
        if (buf.limit() - at < HEADER_BYTES || buf.getShort(at) != MAGIC || buf.get(at + 2) != VERSION) {
            return null;
        }
        byte flags = buf.get(at + 3);
        int length = buf.getInt(at + LENGTH_AT);
        if (flags == FLAG_END) {
            if (length != HEADER_BYTES) {
                return null;
            }
        } else if (flags != 0 || length < OVERHEAD || length > maxLength) {
            return null;
        }
        return new Header(flags, length, buf.getLong(at + OFFSET_AT), buf.getLong(at + SYNCED_AT),
                buf.getInt(at + KEY_ID_AT), buf.getInt(at + CRC_AT));
    }

    /** Whether the whole record at {@code at} (which must be in {@code buf}) matches its CRC. */
    public static boolean crcMatches(ByteBuffer buf, int at, Header header) {
        return buf.limit() - at >= header.length() && crc(buf, at, header.length()) == header.crc();
    }

    private static int crc(ByteBuffer buf, int at, int length) {
        CRC32C crc = new CRC32C();
        ByteBuffer view = buf.duplicate();
        view.limit(at + CRC_AT).position(at);
        crc.update(view);
        view.limit(at + length).position(at + HEADER_BYTES);
        crc.update(view);
        return (int) crc.getValue();
    }

    /** The ciphertext and tag of the record at {@code at}, as a view of {@code buf}. */
    public static ByteBuffer body(ByteBuffer buf, int at, Header header) {
        ByteBuffer view = buf.duplicate();
        view.limit(at + header.length()).position(at + HEADER_BYTES);
        return view;
    }
}
