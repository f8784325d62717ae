package org.securebroker.server.queue;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.securebroker.protocol.Utf8;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * A message as the broker stores it in a queue's log (inside the store's encrypted record),
 * version 1 (big-endian; str = u16 length + UTF-8, bytes = u32 length + data):
 *
 * <pre>
 * u8    version = 1
 * i64   brokerTimestampMillis   when the broker accepted it
 * i64   expiresAtMillis         0 = never
 * str   producerPrincipal       the authenticated principal, never a client-supplied name
 * str   producerId              empty = no de-duplication
 * u64   sequence
 * u16   header count, then (str key, bytes value) per header
 * bytes payload
 * bytes producerSignature       empty = none
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
public record MessageEnvelope(long brokerTimestampMillis, long expiresAtMillis, String producerPrincipal,
                              String producerId, long sequence, Headers headers, Bytes payload,
                              Bytes producerSignature) {

    private static final byte VERSION = 1;

    public boolean isExpired(long nowMillis) {
        return expiresAtMillis > 0 && nowMillis >= expiresAtMillis;
    }

    /** The encoded size, for limits. */
    public int encodedSize() {
        int size = 1 + 8 + 8 + 2 + utf8Length(producerPrincipal) + 2 + utf8Length(producerId) + 8 + 2;
        for (int i = 0; i < headers.size(); i++) {
            size += 2 + utf8Length(headers.keyAt(i)) + 4 + headers.valueAt(i).length();
        }
        return size + 4 + payload.length() + 4 + producerSignature.length();
    }

    public ByteBuffer encode() {
        ByteBuffer buf = ByteBuffer.allocate(encodedSize());
        buf.put(VERSION).putLong(brokerTimestampMillis).putLong(expiresAtMillis);
        putString(buf, producerPrincipal);
        putString(buf, producerId);
        buf.putLong(sequence).putShort((short) headers.size());
        for (int i = 0; i < headers.size(); i++) {
            putString(buf, headers.keyAt(i));
            putBytes(buf, headers.valueAt(i));
        }
        putBytes(buf, payload);
        putBytes(buf, producerSignature);
        return buf.flip();
    }

    /**
     * @throws IllegalArgumentException if the bytes are not a version-1 envelope
     */
    public static MessageEnvelope decode(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            if (buf.get() != VERSION) {
                throw new IllegalArgumentException("unknown message envelope version " + bytes[0]);
            }
            long timestamp = buf.getLong();
            long expires = buf.getLong();
            String principal = getString(buf);
            String producerId = getString(buf);
            long sequence = buf.getLong();
            int count = buf.getShort() & 0xFFFF;
            Headers.Builder headers = Headers.builder();
            for (int i = 0; i < count; i++) {
                headers.add(getString(buf), getBytes(buf));
            }
            Bytes payload = getBytes(buf);
            Bytes signature = getBytes(buf);
            if (buf.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after the message envelope");
            }
            return new MessageEnvelope(timestamp, expires, principal, producerId, sequence, headers.build(), payload,
                    signature);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated message envelope", e);
        }
    }

    private static int utf8Length(String s) {
        return Utf8.length(s);
    }

    private static void putString(ByteBuffer buf, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        buf.putShort((short) b.length).put(b);
    }

    private static void putBytes(ByteBuffer buf, Bytes b) {
        buf.putInt(b.length());
        buf.put(b.asReadOnlyByteBuffer());
    }

    private static String getString(ByteBuffer buf) {
        int length = buf.getShort() & 0xFFFF;
        String s = new String(buf.array(), buf.arrayOffset() + buf.position(), length, StandardCharsets.UTF_8);
        buf.position(buf.position() + length);
        return s;
    }

    private static Bytes getBytes(ByteBuffer buf) {
        int length = buf.getInt();
        if (length < 0 || length > buf.remaining()) {
            throw new IllegalArgumentException("field length " + length + " exceeds the envelope");
        }
        Bytes b = Bytes.copyOf(buf.array(), buf.arrayOffset() + buf.position(), length);
        buf.position(buf.position() + length);
        return b;
    }
}
