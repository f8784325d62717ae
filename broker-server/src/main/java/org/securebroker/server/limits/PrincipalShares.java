package org.securebroker.server.limits;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Each principal's share of the broker's in-flight {@link MemoryBudget}: the bytes all of one
 * principal's connections may hold of it together. Without it one principal with many
 * connections, each announcing a large frame and never sending its body, could hold the whole
 * budget and stall every other principal's frames in the budget's FIFO line.
 *
 * <p>A connection whose principal is at its share waits here, on that principal's own wait
 * list, not in the budget's line, so it holds back no other principal. It is woken when any
 * connection of the same principal releases bytes, and asks again ({@link #takeOrWait}).
 *
 * <p>No deadlock: a reservation is taken past the share when the principal holds nothing, so a
 * frame larger than the share still moves.
 *
 * <p>Thread-safety: thread-safe; one lock guards every principal's count and wait list. Wake-ups
 * run on the releasing thread, outside the lock, and must only hand work to the waiter's own
 * thread.
 */
public final class PrincipalShares {

    /** One principal's bytes held and the connections waiting for it to hold fewer. */
    private static final class Share {
        long held;
        /** A set: a connection asking again while it waits is still woken once. */
        final LinkedHashSet<Runnable> waiters = new LinkedHashSet<>();
    }

    private final long maxShare;
    private final Map<String, Share> shares = new HashMap<>();

    /** @param maxShare bytes one principal may hold; positive */
    public PrincipalShares(long maxShare) {
        if (maxShare <= 0) {
            throw new IllegalArgumentException("a principal's share must be positive: " + maxShare);
        }
        this.maxShare = maxShare;
    }

    /**
     * The share the broker gives each principal of a budget: a quarter, so that at least three
     * other principals are always served beside the largest one, and at least one frame of
     * {@code maxFrameSize}, so that a single connection's largest frame fits its share.
     */
    public static long shareOf(long budgetLimit, int maxFrameSize) {
        return Math.max(budgetLimit / 4, maxFrameSize);
    }

    public long maxShare() {
        return maxShare;
    }

    /**
     * Counts {@code bytes} against {@code principal}'s share if they fit (or it holds nothing),
     * else keeps {@code wake} to run once when one of the principal's connections releases. The
     * check and the keeping are one step, so a release in between cannot be missed.
     *
     * @return whether the bytes were counted
     */
    public synchronized boolean takeOrWait(String principal, long bytes, Runnable wake) {
        Share s = shares.computeIfAbsent(principal, p -> new Share());
        if (s.held == 0 || s.held + bytes <= maxShare) {
            s.held += bytes;
            return true;
        }
        s.waiters.add(wake);
        return false;
    }

    /** Returns {@code bytes} counted earlier, waking every connection of the principal that waits. */
    public void release(String principal, long bytes) {
        if (bytes <= 0) {
            return;
        }
        List<Runnable> wakes;
        synchronized (this) {
            Share s = shares.get(principal);
            if (s == null || bytes > s.held) {
                throw new IllegalStateException("principal '" + principal + "' released more than its share held");
            }
            s.held -= bytes;
            // all of them: each asks again and those that still do not fit wait again; the list
            // holds only this principal's connections, so the cost falls on the principal
            wakes = s.waiters.isEmpty() ? List.of() : new ArrayList<>(s.waiters);
            s.waiters.clear();
            forgetIfIdle(principal, s);
        }
        wakes.forEach(Runnable::run);
    }

    /** Withdraws {@code wake} (the connection closed); harmless if it is not waiting. */
    public synchronized void cancel(String principal, Runnable wake) {
        Share s = shares.get(principal);
        if (s != null) {
            s.waiters.remove(wake);
            forgetIfIdle(principal, s);
        }
    }

    /** Principals come and go: an entry that holds and awaits nothing would only grow the map. */
    private void forgetIfIdle(String principal, Share s) {
        if (s.held == 0 && s.waiters.isEmpty()) {
            shares.remove(principal);
        }
    }

    /** Bytes {@code principal}'s connections hold of the budget now. */
    public synchronized long held(String principal) {
        Share s = shares.get(principal);
        return s == null ? 0 : s.held;
    }

    /** Connections of {@code principal} waiting for its share now. */
    public synchronized int waiting(String principal) {
        Share s = shares.get(principal);
        return s == null ? 0 : s.waiters.size();
    }

    @Override
    public synchronized String toString() {
        return "PrincipalShares[" + shares.size() + " principals, at most " + maxShare + " each]";
    }
}
