package org.securebroker.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.CharsetUtil;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.Headers;

/**
 * Reads the primitive fields of one frame body, checking every length against the bytes that
 * remain before reading or allocating. Any violation is a {@link ProtocolException}
 * (PROTOCOL_ERROR) naming the frame type and field; the content of the field never appears in
 * the message.
 *
 * <p>Field names are passed as constants so the success path builds no strings.
 *
 * <p>Thread-safety: not thread-safe; one instance reads one frame on one thread.
 */
final class BodyReader {

    private static final int MIN_HEADER_ENTRY_BYTES = 2 + 4;

    private final ByteBuf buf;
    private final FrameType type;

    BodyReader(ByteBuf buf, FrameType type) {
        this.buf = buf;
        this.type = type;
    }

    int u8(String field) {
        need(1, field);
        return buf.readUnsignedByte();
    }

    int u16(String field) {
        need(2, field);
        return buf.readUnsignedShort();
    }

    long u32(String field) {
        need(4, field);
        return buf.readUnsignedInt();
    }

    /** A u32 identifier kept as its bit pattern (correlation and consumer ids). */
    int u32Id(String field) {
        need(4, field);
        return buf.readInt();
    }

    /** An i64, or a u64 carried in a long. */
    long i64(String field) {
        need(8, field);
        return buf.readLong();
    }

    boolean bool(String field) {
        int value = u8(field);
        if (value > 1) {
            throw fail(field + " is a bool but has value " + value);
        }
        return value == 1;
    }

    /** A reserved u8 that must be 0 in this version. */
    void reservedZero(String field) {
        int value = u8(field);
        if (value != 0) {
            throw fail(field + " are reserved and must be 0, got " + value);
        }
    }

    String string(String field) {
        int length = u16(field);
        if (length == 0) {
            return "";
        }
        need(length, field);
        int index = buf.readerIndex();
        String value;
        if (isAscii(index, length)) {
            // the common case (names, ids): ASCII is valid UTF-8 and decodes byte for byte
            value = buf.toString(index, length, CharsetUtil.US_ASCII);
        } else if (ByteBufUtil.isText(buf, index, length, CharsetUtil.UTF_8)) {
            value = buf.toString(index, length, CharsetUtil.UTF_8);
        } else {
            throw fail(field + " is not valid UTF-8");
        }
        buf.skipBytes(length);
        return value;
    }

    private boolean isAscii(int index, int length) {
        return buf.forEachByte(index, length, value -> value >= 0) < 0;
    }

    Bytes bytes(String field) {
        long length = u32(field);
        if (length > buf.readableBytes()) {
            throw fail(field + " declares " + length + " bytes but only " + buf.readableBytes()
                    + " remain in the frame");
        }
        return Bytes.readFrom(buf, (int) length);
    }

    Headers headers() {
        int count = u16("header count");
        if (count == 0) {
            return Headers.EMPTY;
        }
        if (count > ProtocolLimits.MAX_HEADERS) {
            throw fail("header count " + count + " exceeds the limit of "
                    + ProtocolLimits.MAX_HEADERS);
        }
        requireEntries(count, MIN_HEADER_ENTRY_BYTES, "headers");
        Headers.Builder builder = Headers.builder();
        for (int i = 0; i < count; i++) {
            String key = string("header key");
            if (builder.contains(key)) {
                throw fail("duplicate header key at index " + i);
            }
            builder.add(key, bytes("header value"));
        }
        return builder.build();
    }

    /**
     * Reads a u16 element count and checks it is within {@code [min, max]} and that the
     * remaining bytes could hold that many elements of at least {@code minElementBytes} each.
     */
    int count16(String field, int min, int max, int minElementBytes) {
        int count = u16(field);
        if (count < min || count > max) {
            throw fail(field + " " + count + " is outside [" + min + ", " + max + "]");
        }
        requireEntries(count, minElementBytes, field);
        return count;
    }

    /** As {@link #count16} for a u32 count with no upper bound other than the frame. */
    int count32(String field, int minElementBytes) {
        long count = u32(field);
        requireEntries(count, minElementBytes, field);
        return (int) count;
    }

    void expectEnd() {
        if (buf.isReadable()) {
            throw fail(buf.readableBytes() + " trailing bytes after the last field");
        }
    }

    ProtocolException fail(String detail) {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, type.name() + ": " + detail);
    }

    private void requireEntries(long count, int minElementBytes, String field) {
        if (count * minElementBytes > buf.readableBytes()) {
            throw fail(field + " declares " + count + " entries but only " + buf.readableBytes()
                    + " bytes remain in the frame");
        }
    }

    private void need(int length, String field) {
        if (buf.readableBytes() < length) {
            throw fail("truncated at " + field + ": needs " + length + " bytes, "
                    + buf.readableBytes() + " remain");
        }
    }
}
