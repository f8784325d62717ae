package org.securebroker.store.subscription;

import static org.securebroker.store.subscription.SubscriptionFormat.JOURNAL_HEADER_BYTES;
import static org.securebroker.store.subscription.SubscriptionFormat.MAX_BODY;
import static org.securebroker.store.subscription.SubscriptionFormat.MIN_BODY;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.io.StorageChannel;

/**
 * Replays a version-2 journal along its {@link EntryChain} and decides what an entry that does not
 * verify means:
 * <ul>
 *   <li>before the {@code required} entries the store's state file recorded as durable: they
 *       were edited, removed or reordered, so the journal is refused;
 *   <li>after them, with nothing authentic behind it: a torn tail (a crash during a write that
 *       was never acknowledged), which the caller truncates;
 *   <li>after them, with an authentic entry behind it (one that verifies after the entry before
 *       it in the file, or at the position of the damaged one): an edit, not a tear, refused.
 * </ul>
 * A journal that ends cleanly with fewer than {@code required} entries was shortened or rolled
 * back, and is refused too.
 *
 * <p>Thread-safety: stateless; a replay runs on one thread.
 */
final class JournalReplay {

    /** The largest entry, whole. */
    private static final int MAX_ENTRY = SubscriptionFormat.entrySize(MAX_BODY);

    /** How far the journal is valid: {@code validEnd} bytes holding {@code entries} entries, of {@code size}. */
    record Result(long validEnd, long entries, long size) {
        /** Bytes after the valid entries: a torn tail to truncate. */
        long tornBytes() {
            return size - validEnd;
        }
    }

    private JournalReplay() {
    }

    /**
     * Replays the entries after the journal's header (which the caller checked) into {@code into},
     * advancing {@code chain} over each.
     *
     * @param required how many entries the store's state file recorded as durable in this journal
     * @throws StoreException {@code CORRUPTED_METADATA} as the class comment says
     */
    static Result replay(StorageChannel channel, Path file, EntryChain chain, long required,
                         SubscriptionFormat.Replay into) throws IOException {
        long size = channel.size();
        Window window = new Window(channel, size);
        long position = JOURNAL_HEADER_BYTES;
        while (position < size) {
            int body = bodyLength(window, position);
            if (body < 0) {
                return torn(window, file, chain, required, position, "is incomplete or has a damaged length");
            }
            window.ensure(position, SubscriptionFormat.entrySize(body));
            int at = window.offset(position);
            if (!chain.accept(window.array(), at, body)) {
                return torn(window, file, chain, required, position, "fails its authentication tag");
            }
            try {
                SubscriptionFormat.decode(window.array(), at + 4, body, into);
            } catch (IllegalArgumentException e) {
                throw SubscriptionRecovery.refusal(file, "holds entry " + chain.entries() + " (at byte " + position
                        + "), which is authentic but cannot be applied (" + e.getMessage() + ")");
            }
            position += SubscriptionFormat.entrySize(body);
        }
        if (chain.entries() < required) {
            throw SubscriptionRecovery.refusal(file, "ends after " + chain.entries() + " entries, but the store's state "
                    + "file records " + required + " durable entries in it: it was shortened or rolled back");
        }
        return new Result(position, chain.entries(), size);
    }

    /**
     * The body length of the entry at {@code position} if its length is plausible and the whole
     * entry lies within the file; -1 otherwise.
     */
    private static int bodyLength(Window window, long position) throws IOException {
        if (window.size - position < 4) {
            return -1;
        }
        window.ensure(position, 4);
        int body = window.getInt(position);
        if (body < MIN_BODY || body > MAX_BODY || window.size - position < SubscriptionFormat.entrySize(body)) {
            return -1;
        }
        return body;
    }

    /** The entry at {@code position} does not verify: a torn tail, or a refusal. */
    private static Result torn(Window window, Path file, EntryChain chain, long required, long position, String why)
            throws IOException {
        long index = chain.entries() + 1;
        if (chain.entries() < required) {
            throw SubscriptionRecovery.refusal(file, "holds entry " + index + " (at byte " + position + "), which " + why
                    + ", but the store's state file records " + required + " durable entries: the journal was edited, "
                    + "shortened or rolled back");
        }
        long authentic = authenticEntryAfter(window, chain, position);
        if (authentic >= 0) {
            throw SubscriptionRecovery.refusal(file, "holds entry " + index + " (at byte " + position + "), which " + why
                    + ", followed by an authentic entry at byte " + authentic + ": the journal was edited, not torn by "
                    + "a crash");
        }
        return new Result(position, chain.entries(), window.size);
    }

    /**
     * Walks the entries after the one at {@code damaged} as far as their lengths are plausible and
     * returns the position of the first that verifies after the entry before it in the file, or
     * after the chain's last verified entry (moved there); -1 if none does.
     */
    private static long authenticEntryAfter(Window window, EntryChain chain, long damaged) throws IOException {
        byte[] previousTag = new byte[EntryChain.TAG_BYTES];
        long position = damaged;
        int body = bodyLength(window, position);
        while (body >= 0) {
            window.ensure(position, SubscriptionFormat.entrySize(body));
            System.arraycopy(window.array(), window.offset(position) + 4 + body, previousTag, 0, EntryChain.TAG_BYTES);
            position += SubscriptionFormat.entrySize(body);
            body = bodyLength(window, position);
            if (body < 0) {
                break;
            }
            window.ensure(position, SubscriptionFormat.entrySize(body));
            int at = window.offset(position);
            if (chain.follows(previousTag, 0, window.array(), at, body) || chain.wouldAccept(window.array(), at, body)) {
                return position;
            }
        }
        return -1;
    }

    /** A read buffer over the journal that holds any one entry whole. */
    private static final class Window {
        final long size;
        private final StorageChannel channel;
        private final ByteBuffer buf = ByteBuffer.allocate(Math.max(1 << 20, 2 * MAX_ENTRY));
        private long start;
        private int filled;

        Window(StorageChannel channel, long size) {
            this.channel = channel;
            this.size = size;
        }

        /** Makes {@code [position, position + length)} readable; the caller checked it is within the file. */
        void ensure(long position, int length) throws IOException {
            if (position >= start && position + length <= start + filled) {
                return;
            }
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), size - position));
            int read = channel.readFully(buf, position);
            start = position;
            filled = read;
            if (read < length) {
                throw new IOException("the journal became shorter while it was read (" + read + " of " + length
                        + " bytes at " + position + ")");
            }
        }

        int offset(long position) {
            return (int) (position - start);
        }

        int getInt(long position) {
            return buf.getInt(offset(position));
        }

        byte[] array() {
            return buf.array();
        }
    }
}
