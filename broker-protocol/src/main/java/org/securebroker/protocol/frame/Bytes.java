package org.securebroker.protocol.frame;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable sequence of bytes: payloads, signatures, credentials, header values.
 *
 * <p>The backing array is never shared with callers: factories copy their input (or read
 * into a fresh array) and accessors return copies or read-only views. {@link #toString()}
 * reports only the length, so frames carrying credentials or payloads can be logged safely.
 * Equality is by content.
 *
 * <p>Thread-safety: immutable and safe to share between threads.
 */
public final class Bytes {

    /** The empty byte sequence. */
    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] data;

    private Bytes(byte[] data) {
        this.data = data;
    }

    /** A copy of {@code bytes}. */
    public static Bytes copyOf(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone());
    }

    /** A copy of {@code length} bytes of {@code bytes} starting at {@code offset}. */
    public static Bytes copyOf(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(bytes, "bytes").length);
        return length == 0 ? EMPTY : new Bytes(Arrays.copyOfRange(bytes, offset, offset + length));
    }

    /** A copy of the remaining bytes of {@code buffer}, which is left as it was. */
    public static Bytes copyOf(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy.length == 0 ? EMPTY : new Bytes(copy);
    }

    /** The UTF-8 encoding of {@code text}. */
    public static Bytes utf8(String text) {
        byte[] encoded = text.getBytes(StandardCharsets.UTF_8);
        return encoded.length == 0 ? EMPTY : new Bytes(encoded);
    }

    /**
     * Reads {@code length} bytes from {@code buf} (advancing its reader index) into a new
     * instance.
     *
     * @throws IndexOutOfBoundsException if fewer than {@code length} bytes are readable; the
     *     check happens before anything is allocated
     */
    public static Bytes readFrom(ByteBuf buf, int length) {
        if (length < 0 || length > buf.readableBytes()) {
            throw new IndexOutOfBoundsException("cannot read " + length + " bytes, "
                    + buf.readableBytes() + " readable");
        }
        if (length == 0) {
            return EMPTY;
        }
        byte[] bytes = new byte[length];
        buf.readBytes(bytes);
        return new Bytes(bytes);
    }

    /** Writes the bytes to {@code buf} (advancing its writer index). */
    public void writeTo(ByteBuf buf) {
        buf.writeBytes(data);
    }

    /** Number of bytes. */
    public int length() {
        return data.length;
    }

    /** Whether there are no bytes. */
    public boolean isEmpty() {
        return data.length == 0;
    }

    /** The byte at {@code index}. */
    public byte byteAt(int index) {
        return data[index];
    }

    /** A fresh copy of the bytes; modifying it does not affect this instance. */
    public byte[] toByteArray() {
        return data.clone();
    }

    /** A read-only view of the bytes, without copying. */
    public ByteBuffer asReadOnlyByteBuffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** Feeds the bytes to {@code digest}, without copying them (a read-only view would be copied). */
    public void updateDigest(MessageDigest digest) {
        digest.update(data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    /** Reports the length only, never the content. */
    @Override
    public String toString() {
        return "Bytes[length=" + data.length + "]";
    }
}
