package org.securebroker.server.session;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.securebroker.server.limits.MemoryBudget;

/**
 * The bytes of deliveries one connection has on their way to its socket: handed to a consumer
 * sink by a queue thread and not yet written by the event loop. {@code Channel.isWritable()}
 * alone does not bound them, because it changes only when the event loop writes, after a queue
 * thread may have handed over a whole credit's worth of messages; this counter changes at the
 * hand-over. Every consumer sink of the connection shares it, and every connection the broker's
 * delivery budget.
 *
 * <p>A consumer refused for room is woken once room is back: whoever refused arms the wake-up
 * before looking again, and whoever frees bytes looks at the flag after freeing them, so a
 * release between the two cannot be missed.
 *
 * <p>Thread-safety: thread-safe; {@link #hasRoom} and {@link #added} run on queue threads,
 * {@link #written} on the event loop.
 */
final class DeliveryBuffer {

    private final long maxBytes;
    private final MemoryBudget shared;
    /** Hands "there is room again" to the event loop, which wakes the connection's consumers. */
    private final Runnable wake;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicBoolean wakeArmed = new AtomicBoolean();
    private final AtomicBoolean sharedArmed = new AtomicBoolean();

    DeliveryBuffer(long maxBytes, MemoryBudget shared, Runnable wake) {
        this.maxBytes = maxBytes;
        this.shared = shared;
        this.wake = wake;
    }

    /** Whether another delivery may be handed over; if not, the consumers are woken when it may. */
    boolean hasRoom() {
        if (pending.get() < maxBytes && shared.hasRoom()) {
            return true;
        }
        wakeArmed.set(true);
        if (pending.get() >= maxBytes) {
            return false;
        }
        if (!sharedArmed.compareAndSet(false, true)) {
            return false;
        }
        if (shared.whenRoom(this::sharedRoom)) {
            sharedArmed.set(false);
            return true;
        }
        return false;
    }

    private void sharedRoom() {
        sharedArmed.set(false);
        wake.run();
    }

    /** A delivery of {@code bytes} was handed over. */
    void added(long bytes) {
        pending.addAndGet(bytes);
        shared.reserve(bytes);
    }

    /** Deliveries of {@code bytes} were written to the socket (or will never be). */
    void written(long bytes) {
        pending.addAndGet(-bytes);
        shared.release(bytes);
        if (wakeArmed.compareAndSet(true, false)) {
            wake.run();
        }
    }

    /** Bytes handed over and not yet written. */
    long pending() {
        return pending.get();
    }
}
