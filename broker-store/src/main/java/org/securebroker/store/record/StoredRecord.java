package org.securebroker.store.record;

import java.util.Arrays;

/**
 * A record read back from a log: its offset and decrypted payload. The payload array belongs to
 * the caller.
 *
 * <p>Thread-safety: immutable in use; the store never touches the array after returning it.
 */
public record StoredRecord(long offset, byte[] payload) {

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredRecord r && offset == r.offset && Arrays.equals(payload, r.payload);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(offset) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "StoredRecord[offset=" + offset + ", " + payload.length + " bytes]";
    }
}
