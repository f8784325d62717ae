package org.securebroker.store.subscription;

import java.nio.ByteBuffer;
import javax.crypto.Mac;
import org.securebroker.store.crypto.MetadataMac;

/**
 * Tags the entries of one journal generation as a chain. An entry is
 * {@code u32 length | body | tag}, where {@code tag} is the first {@value #TAG_BYTES} bytes of
 * HMAC-SHA256(chain | u32 length | body) and {@code chain} is the tag of the entry before it; the
 * first entry's chain is the first {@value #TAG_BYTES} bytes of its generation's snapshot tag. So an
 * entry verifies only at its own position, after exactly the entries it was written after, in the
 * journal of exactly one snapshot: removing, reordering, repeating or splicing in entries breaks
 * the chain at the first entry out of place.
 *
 * <p>One HMAC per entry over at most one 64-byte block for short names, with one {@link Mac}
 * reused: cheap enough for the journal writer's thread, which is where entries are tagged.
 *
 * <p>Thread-safety: not thread-safe; the thread that opens the store, then the journal writer,
 * owns it.
 */
final class EntryChain {

    /** Tag length in bytes: a truncated HMAC-SHA256. */
    static final int TAG_BYTES = 16;

    private final Mac mac;
    private final byte[] chain = new byte[TAG_BYTES];
    private long entries;

    /** A chain for the journal of the snapshot tagged {@code snapshotTag} under {@code key}. */
    EntryChain(MetadataMac key, byte[] snapshotTag) {
        this.mac = key.newMac();
        System.arraycopy(snapshotTag, 0, chain, 0, TAG_BYTES);
    }

    /** The chain value now, to {@link #reset} to if the entries appended after it are not written. */
    byte[] mark() {
        return chain.clone();
    }

    /** Goes back to {@code mark} with {@code count} entries: the entries appended since were never written. */
    void reset(byte[] mark, long count) {
        System.arraycopy(mark, 0, chain, 0, TAG_BYTES);
        entries = count;
    }

    /** How many entries the chain has passed over: appended, or accepted while replaying. */
    long entries() {
        return entries;
    }

    /** Appends {@code body} framed and tagged to {@code out}, a heap buffer with room for it. */
    void append(ByteBuffer out, byte[] body) {
        int start = out.position();
        out.putInt(body.length).put(body);
        mac.update(chain);
        mac.update(out.array(), out.arrayOffset() + start, 4 + body.length);
        System.arraycopy(mac.doFinal(), 0, chain, 0, TAG_BYTES);
        out.put(chain);
        entries++;
    }

    /**
     * Whether the entry at {@code bytes[offset]} (its length field) with a body of
     * {@code bodyLength} bytes is the next one of this chain; if so, the chain moves past it.
     */
    boolean accept(byte[] bytes, int offset, int bodyLength) {
        if (!follows(chain, 0, bytes, offset, bodyLength)) {
            return false;
        }
        System.arraycopy(bytes, offset + 4 + bodyLength, chain, 0, TAG_BYTES);
        entries++;
        return true;
    }

    /**
     * Whether the entry at {@code bytes[offset]} would verify after the chain value
     * {@code previous[previousOffset, +16)}; the chain does not move. For telling a torn tail from
     * an edited one.
     */
    boolean follows(byte[] previous, int previousOffset, byte[] bytes, int offset, int bodyLength) {
        mac.update(previous, previousOffset, TAG_BYTES);
        mac.update(bytes, offset, 4 + bodyLength);
        byte[] expected = mac.doFinal();
        int tagAt = offset + 4 + bodyLength;
        int diff = 0;
        for (int i = 0; i < TAG_BYTES; i++) {
            diff |= expected[i] ^ bytes[tagAt + i];
        }
        return diff == 0;
    }

    /** Whether the entry at {@code bytes[offset]} would be the next one of this chain; the chain does not move. */
    boolean wouldAccept(byte[] bytes, int offset, int bodyLength) {
        return follows(chain, 0, bytes, offset, bodyLength);
    }
}
