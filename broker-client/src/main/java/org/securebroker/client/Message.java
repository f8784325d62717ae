package org.securebroker.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * A message to publish: a payload, ordered application headers and an optional time to live.
 *
 * <pre>{@code
 * Message m = Message.builder()
 *         .payload("{\"amount\": 42}")
 *         .header("content-type", "application/json")
 *         .ttl(Duration.ofMinutes(5))
 *         .build();
 * }</pre>
 *
 * <p>The client adds the producer id and sequence number when it sends the message. {@link
 * #toString()} shows sizes only, never the payload.
 *
 * <p>Thread-safety: immutable; safe to share and to send from several threads. {@link Builder}
 * is not thread-safe.
 */
public final class Message {

    private final Bytes payload;
    private final Headers headers;
    private final Duration ttl;

    private Message(Bytes payload, Headers headers, Duration ttl) {
        this.payload = payload;
        this.headers = headers;
        this.ttl = ttl;
    }

    /** A new builder with an empty payload, no headers and no TTL. */
    public static Builder builder() {
        return new Builder();
    }

    /** A message with a copy of {@code payload} and nothing else. */
    public static Message of(byte[] payload) {
        return builder().payload(payload).build();
    }

    /** A message whose payload is the UTF-8 encoding of {@code payload}. */
    public static Message of(String payload) {
        return builder().payload(payload).build();
    }

    /** A copy of the payload. */
    public byte[] payload() {
        return payload.toByteArray();
    }

    /** A read-only view of the payload, without copying. */
    public ByteBuffer payloadBuffer() {
        return payload.asReadOnlyByteBuffer();
    }

    /** The payload as an immutable byte sequence, without copying. */
    public Bytes payloadBytes() {
        return payload;
    }

    /** The payload decoded as UTF-8. */
    public String payloadUtf8() {
        return new String(payload.toByteArray(), StandardCharsets.UTF_8);
    }

    /** Payload size in bytes. */
    public int payloadSize() {
        return payload.length();
    }

    /** The application headers, in the order they were added. */
    public Headers headers() {
        return headers;
    }

    /** The time to live, if any. */
    public Optional<Duration> ttl() {
        return Optional.ofNullable(ttl);
    }

    /** Sizes and header keys only; never payload or header values. */
    @Override
    public String toString() {
        return "Message[payload=" + payload.length() + " bytes, headers=" + headers
                + (ttl != null ? ", ttl=" + ttl : "") + "]";
    }

    /**
     * Builds a {@link Message}. Header keys must be unique, at most 64 headers, and every
     * key a valid string of at most 65535 UTF-8 bytes.
     *
     * <p>Thread-safety: not thread-safe; use from one thread.
     */
    public static final class Builder {
        private Bytes payload = Bytes.EMPTY;
        private final Headers.Builder headers = Headers.builder();
        private Duration ttl;

        private Builder() {
        }

        /** Sets the payload to a copy of {@code payload}. */
        public Builder payload(byte[] payload) {
            this.payload = Bytes.copyOf(Objects.requireNonNull(payload, "payload"));
            return this;
        }

        /** Sets the payload to the UTF-8 encoding of {@code payload}. */
        public Builder payload(String payload) {
            this.payload = Bytes.utf8(Objects.requireNonNull(payload, "payload"));
            return this;
        }

        /**
         * Adds a header with a copy of {@code value}.
         *
         * @throws IllegalArgumentException if the key is already present, is not valid UTF-16
         *     or is longer than 65535 UTF-8 bytes, or if there would be more than 64 headers
         */
        public Builder header(String key, byte[] value) {
            WireSizes.checkString("header key", key);
            headers.add(key, Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Adds a header whose value is the UTF-8 encoding of {@code value}; see {@link #header(String, byte[])}. */
        public Builder header(String key, String value) {
            WireSizes.checkString("header key", key);
            headers.add(key, Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Sets the time to live: the broker drops the message if it has not been consumed
         * within it. At millisecond resolution.
         *
         * @throws IllegalArgumentException if {@code ttl} is shorter than one millisecond
         */
        public Builder ttl(Duration ttl) {
            Objects.requireNonNull(ttl, "ttl");
            if (ttl.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("ttl must be at least 1 ms, got " + ttl);
            }
            this.ttl = ttl;
            return this;
        }

        /** The immutable message. */
        public Message build() {
            return new Message(payload, headers.build(), ttl);
        }
    }
}
