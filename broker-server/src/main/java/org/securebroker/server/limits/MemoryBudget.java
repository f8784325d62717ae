package org.securebroker.server.limits;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A number of bytes shared by many holders (connections, consumers): they reserve before they
 * hold memory and release after. A reservation that does not fit either fails
 * ({@link #tryReserve}) or waits in line ({@link #reserveOrWait}); waiters are granted in the
 * order they asked, when releases make room, and never block a thread: the grant is a callback.
 *
 * <p>No deadlock on large items: a reservation is granted whenever nothing at all is reserved,
 * even if it is larger than the budget, so an item as large as the budget still moves (the
 * budget then overshoots by at most that item).
 *
 * <p>Thread-safety: thread-safe; grant callbacks run on the releasing thread, outside the lock,
 * and must only hand work to the waiter's own thread.
 */
public final class MemoryBudget {

    /** A reservation waiting for room; {@link #cancel()} withdraws it. */
    public final class Waiter {
        private final long bytes;
        private final Runnable granted;

        private Waiter(long bytes, Runnable granted) {
            this.bytes = bytes;
            this.granted = granted;
        }

        /**
         * Withdraws the reservation if it is still waiting.
         *
         * @return false if it was granted already: its bytes are then reserved and the holder
         *     must release them
         */
        public boolean cancel() {
            List<Runnable> grants;
            boolean removed;
            synchronized (MemoryBudget.this) {
                removed = waiters.remove(this);
                // a large waiter at the head may have held back smaller ones behind it
                grants = removed ? grantWaiting() : List.of();
            }
            grants.forEach(Runnable::run);
            return removed;
        }
    }

    private final String name;
    private final long limit;
    private long used;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Told once when the budget is below its limit again ({@link #whenRoom}). */
    private final List<Runnable> roomListeners = new ArrayList<>();

    /**
     * @param name what the budget bounds, as logs and metrics name it
     * @param limit bytes; positive
     */
    public MemoryBudget(String name, long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("budget '" + name + "' must be positive: " + limit);
        }
        this.name = name;
        this.limit = limit;
    }

    public String name() {
        return name;
    }

    public long limit() {
        return limit;
    }

    /** Bytes reserved now. */
    public synchronized long used() {
        return used;
    }

    /** Reservations waiting now. */
    public synchronized int waiting() {
        return waiters.size();
    }

    /**
     * Reserves {@code bytes} if they fit now and nobody waits ahead.
     *
     * @return whether they were reserved
     */
    public synchronized boolean tryReserve(long bytes) {
        if (!waiters.isEmpty() || !fits(bytes)) {
            return false;
        }
        used += bytes;
        return true;
    }

    /**
     * Reserves {@code bytes} now if they fit and nobody waits ahead, else queues the request:
     * {@code granted} then runs once, after the bytes have been reserved for it.
     *
     * @return null if reserved now, else the waiter (to cancel)
     */
    public Waiter reserveOrWait(long bytes, Runnable granted) {
        synchronized (this) {
            if (waiters.isEmpty() && fits(bytes)) {
                used += bytes;
                return null;
            }
            Waiter w = new Waiter(bytes, granted);
            waiters.add(w);
            return w;
        }
    }

    /**
     * Reserves {@code bytes} whether they fit or not: for a holder that checked
     * {@link #hasRoom()} before it committed to an item it cannot give back (a delivery chosen
     * for a consumer), so the budget is exceeded by at most one item per such holder.
     */
    public synchronized void reserve(long bytes) {
        used += bytes;
    }

    /** Whether the budget is below its limit. */
    public synchronized boolean hasRoom() {
        return used < limit;
    }

    /**
     * Runs {@code listener} once, when the budget is below its limit again, unless it is now.
     *
     * @return true if there is room now (the listener is not kept)
     */
    public synchronized boolean whenRoom(Runnable listener) {
        if (used < limit) {
            return true;
        }
        roomListeners.add(listener);
        return false;
    }

    /** Returns {@code bytes} reserved earlier, granting waiters that now fit. */
    public void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        List<Runnable> grants;
        synchronized (this) {
            if (bytes > used) {
                throw new IllegalStateException("budget '" + name + "' released more than was reserved");
            }
            used -= bytes;
            grants = grantWaiting();
            if (used < limit && !roomListeners.isEmpty()) {
                grants = new ArrayList<>(grants);
                grants.addAll(roomListeners);
                roomListeners.clear();
            }
        }
        grants.forEach(Runnable::run);
    }

    private boolean fits(long bytes) {
        return used == 0 || used + bytes <= limit;
    }

    private List<Runnable> grantWaiting() {
        List<Runnable> grants = null;
        while (!waiters.isEmpty() && fits(waiters.peek().bytes)) {
            Waiter w = waiters.poll();
            used += w.bytes;
            if (grants == null) {
                grants = new ArrayList<>(2);
            }
            grants.add(w.granted);
        }
        return grants == null ? List.of() : grants;
    }

    @Override
    public synchronized String toString() {
        return "MemoryBudget[" + name + " " + used + "/" + limit + ", " + waiters.size() + " waiting]";
    }
}
