package org.securebroker.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.util.CharsetUtil;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * Writes the primitive fields of frame bodies. Values the records already guarantee (u16/u32
 * ranges, counts) are written as they are; string lengths are checked here because they need
 * the UTF-8 length. Violations throw {@link IllegalArgumentException} naming the field.
 *
 * <p>Thread-safety: stateless.
 */
final class BodyWriter {

    private BodyWriter() {
    }

    static void u32(ByteBuf out, long value) {
        out.writeInt((int) value);
    }

    static void bool(ByteBuf out, boolean value) {
        out.writeByte(value ? 1 : 0);
    }

    static void string(ByteBuf out, String value, String field) {
        int length = utf8Length(value, field);
        out.writeShort(length);
        if (length > 0) {
            out.writeCharSequence(value, CharsetUtil.UTF_8);
        }
    }

    static void bytes(ByteBuf out, Bytes value) {
        out.writeInt(value.length());
        value.writeTo(out);
    }

    static void headers(ByteBuf out, Headers headers) {
        int size = headers.size();
        out.writeShort(size);
        for (int i = 0; i < size; i++) {
            string(out, headers.keyAt(i), "header key");
            bytes(out, headers.valueAt(i));
        }
    }

    /**
     * The UTF-8 length of {@code value}, rejecting unpaired surrogates (which have no UTF-8
     * form) and anything longer than {@link ProtocolLimits#MAX_STRING_BYTES}.
     */
    static int utf8Length(String value, String field) {
        int chars = value.length();
        if (chars > ProtocolLimits.MAX_STRING_BYTES) {
            throw tooLong(field);
        }
        int bytes;
        try {
            bytes = Utf8.length(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " " + e.getMessage());
        }
        if (bytes > ProtocolLimits.MAX_STRING_BYTES) {
            throw tooLong(field);
        }
        return bytes;
    }

    private static IllegalArgumentException tooLong(String field) {
        return new IllegalArgumentException(
                field + " is longer than " + ProtocolLimits.MAX_STRING_BYTES + " UTF-8 bytes");
    }
}
