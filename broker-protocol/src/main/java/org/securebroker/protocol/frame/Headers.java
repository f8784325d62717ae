package org.securebroker.protocol.frame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.securebroker.protocol.ProtocolLimits;

/**
 * The application headers of a message: an ordered list of unique string keys with byte
 * values, at most {@link ProtocolLimits#MAX_HEADERS} entries.
 *
 * <p>Order is preserved exactly as built (and as received), so encoding is deterministic.
 * Values are {@link Bytes}, which never expose their backing arrays. Indexed access
 * ({@link #keyAt(int)}, {@link #valueAt(int)}) lets hot paths iterate without iterators or
 * lambdas. Equality is by ordered content.
 *
 * <p>Thread-safety: immutable and safe to share between threads. {@link Builder} is not
 * thread-safe.
 */
public final class Headers {

    /** No headers. */
    public static final Headers EMPTY = new Headers(new String[0], new Bytes[0]);

    private final String[] keys;
    private final Bytes[] values;

    private Headers(String[] keys, Bytes[] values) {
        this.keys = keys;
        this.values = values;
    }

    /** A new, empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Headers with the entries of {@code map}, in its iteration order.
     *
     * @throws IllegalArgumentException if there are more than {@link ProtocolLimits#MAX_HEADERS}
     */
    public static Headers of(Map<String, Bytes> map) {
        Builder builder = builder();
        for (Map.Entry<String, Bytes> e : map.entrySet()) {
            builder.add(e.getKey(), e.getValue());
        }
        return builder.build();
    }

    /** Number of headers. */
    public int size() {
        return keys.length;
    }

    /** Whether there are no headers. */
    public boolean isEmpty() {
        return keys.length == 0;
    }

    /** The key of the header at {@code index} (in insertion order). */
    public String keyAt(int index) {
        return keys[index];
    }

    /** The value of the header at {@code index} (in insertion order). */
    public Bytes valueAt(int index) {
        return values[index];
    }

    /** The value for {@code key}, if present. */
    public Optional<Bytes> get(String key) {
        int i = indexOf(keys, keys.length, key);
        return i < 0 ? Optional.empty() : Optional.of(values[i]);
    }

    /** The value for {@code key} decoded as UTF-8, if present. */
    public Optional<String> getUtf8(String key) {
        return get(key).map(b -> new String(b.toByteArray(), StandardCharsets.UTF_8));
    }

    /** The keys in order, as an unmodifiable list. */
    public List<String> keys() {
        return List.of(keys);
    }

    /** The headers as an unmodifiable map in insertion order. */
    public Map<String, Bytes> asMap() {
        Map<String, Bytes> map = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            map.put(keys[i], values[i]);
        }
        return Collections.unmodifiableMap(map);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers other
                && Arrays.equals(keys, other.keys)
                && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(keys) + Arrays.hashCode(values);
    }

    /** Lists keys and value lengths, never value content. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Headers[");
        for (int i = 0; i < keys.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(keys[i]).append('(').append(values[i].length()).append(" bytes)");
        }
        return sb.append(']').toString();
    }

    private static int indexOf(String[] keys, int count, String key) {
        for (int i = 0; i < count; i++) {
            if (keys[i].equals(key)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Collects headers in order; rejects duplicate keys and more than
     * {@link ProtocolLimits#MAX_HEADERS} entries as they are added.
     *
     * <p>Thread-safety: not thread-safe; use from one thread.
     */
    public static final class Builder {
        private final List<String> keys = new ArrayList<>();
        private final List<Bytes> values = new ArrayList<>();

        private Builder() {
        }

        /**
         * Appends a header.
         *
         * @throws IllegalArgumentException if {@code key} is already present or the header
         *     count would exceed {@link ProtocolLimits#MAX_HEADERS}
         */
        public Builder add(String key, Bytes value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (keys.contains(key)) {
                throw new IllegalArgumentException("duplicate header key '" + key + "'");
            }
            if (keys.size() == ProtocolLimits.MAX_HEADERS) {
                throw new IllegalArgumentException(
                        "more than " + ProtocolLimits.MAX_HEADERS + " headers");
            }
            keys.add(key);
            values.add(value);
            return this;
        }

        /** Appends a header with a copy of {@code value}. */
        public Builder add(String key, byte[] value) {
            return add(key, Bytes.copyOf(value));
        }

        /** Appends a header whose value is the UTF-8 encoding of {@code value}. */
        public Builder add(String key, String value) {
            return add(key, Bytes.utf8(Objects.requireNonNull(value, "value")));
        }

        /** Whether {@code key} has been added. */
        public boolean contains(String key) {
            return keys.contains(key);
        }

        /** Number of headers added so far. */
        public int size() {
            return keys.size();
        }

        /** The immutable headers. */
        public Headers build() {
            if (keys.isEmpty()) {
                return EMPTY;
            }
            return new Headers(keys.toArray(new String[0]), values.toArray(new Bytes[0]));
        }
    }
}
