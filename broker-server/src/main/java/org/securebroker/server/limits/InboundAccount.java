package org.securebroker.server.limits;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.codec.FrameAdmission;

/**
 * One connection's inbound memory: the frames it is sending us and the publishes it has waiting
 * for the disk, bounded per connection (bytes and messages) and, with every other connection,
 * by the broker's in-flight {@link MemoryBudget}. It is the frame decoder's
 * {@link FrameAdmission}: a frame whose body does not fit is not read until it does.
 *
 * <p>A frame's bytes are reserved when its header is read and released when the session has
 * handled it ({@link #frameHandled()}), except a PUBLISH's: the session takes them
 * ({@link #takeFrame()}) and returns them when the publish is answered
 * ({@link #publishEnded}). The decoder passes frames on in the order it admitted them, so the
 * reservations form a FIFO and need no frame identity.
 *
 * <p>Messages: above {@code maxMessages} published messages waiting for the disk, no frame is
 * admitted until half of them are stored, as before there was a byte bound.
 *
 * <p>Before authentication ({@link #authenticated}) frames are bounded by the connection alone:
 * at most one pre-authentication frame's worth ({@link ProtocolLimits#PRE_AUTH_MAX_FRAME_SIZE})
 * held at a time, and they do not touch the shared budget, so that unauthenticated connections
 * (bounded apart, by their slots) cannot exhaust it for the authenticated ones. After it, each
 * frame also counts against the principal's {@link PrincipalShares share} of the budget, taken
 * before the budget itself, so that one principal's connections cannot fill the budget or its
 * line. Frames admitted before authentication stay outside both until they are released.
 *
 * <p>No deadlock: a frame is admitted past the connection's byte bound when the connection holds
 * nothing else; the principal's share and the shared budget do the same for the principal and
 * for the broker as a whole.
 *
 * <p>Thread-safety: not thread-safe; every method runs on the connection's event loop, which
 * {@code eventLoop} is. Grants of the shared budget and wake-ups of the principal's share are
 * handed to it.
 */
public final class InboundAccount implements FrameAdmission {

    private final MemoryBudget shared;
    private final long maxBytes;
    private final int maxMessages;
    private final Executor eventLoop;
    /** Lengths of frames admitted and not yet handled, oldest first. */
    private final ArrayDeque<Integer> admitted = new ArrayDeque<>();
    /** Bytes of admitted frames not handled and of publishes not answered. */
    private long held;
    private int messages;
    private boolean messagesPaused;
    private int pendingLength = -1;
    private Runnable pendingAdmitted;
    private MemoryBudget.Waiter sharedWaiter;
    private boolean closed;
    /** Null until authenticated; from then on frames count against its share and the budget. */
    private String principal;
    private PrincipalShares shares;
    /**
     * How many of the oldest {@link #admitted} frames were admitted before authentication and so
     * hold only the connection's bytes: authentication happens once, so they all precede the rest.
     */
    private int unsharedFrames;
    /** One instance, so the share's wait list keeps it once and {@link #close} can withdraw it. */
    private final Runnable shareWake;

    /**
     * @param shared the broker's in-flight budget
     * @param maxBytes {@code listener.maxInFlightPublishBytes}
     * @param maxMessages {@code listener.maxInFlightPublishes}
     * @param eventLoop the connection's event loop
     */
    public InboundAccount(MemoryBudget shared, long maxBytes, int maxMessages, Executor eventLoop) {
        this.shared = shared;
        this.maxBytes = maxBytes;
        this.maxMessages = maxMessages;
        this.eventLoop = eventLoop;
        this.shareWake = () -> eventLoop.execute(this::retryPending);
    }

    /**
     * The session is authenticated as {@code principal}: frames admitted from now on count against
     * its share in {@code shares} and against the shared budget. Call before the decoder's frame
     * limit is raised; later calls (re-authentication keeps the principal) change nothing.
     */
    public void authenticated(String principal, PrincipalShares shares) {
        if (this.principal != null) {
            return;
        }
        this.principal = principal;
        this.shares = shares;
    }

    @Override
    public boolean admit(int frameLength, Runnable onAdmitted) {
        if (closed) {
            return false;
        }
        pendingLength = frameLength;
        pendingAdmitted = onAdmitted;
        return tryPending();
    }

    /**
     * Reserves the pending frame if the connection, its principal and the broker have room; true
     * if it did now.
     */
    private boolean tryPending() {
        int length = pendingLength;
        if (messagesPaused || (held > 0 && held + length > connectionBound())) {
            return false;
        }
        if (principal == null) {
            record(length, false);
            return true;
        }
        // the share first: a principal at its share then waits on its own list and never takes a
        // place in the budget's line, where it would hold back other principals' frames
        if (!shares.takeOrWait(principal, length, shareWake)) {
            return false;
        }
        MemoryBudget.Waiter w = shared.reserveOrWait(length, () -> eventLoop.execute(() -> sharedGranted(length)));
        if (w != null) {
            // the share stays counted while the frame waits in the line: it is given back on
            // grant-and-release or on close
            sharedWaiter = w;
            return false;
        }
        record(length, true);
        return true;
    }

    /**
     * Before authentication one pre-authentication frame's worth, so that the unauthenticated
     * connections together hold at most their slots times that; after it the configured bound.
     */
    private long connectionBound() {
        return principal == null ? Math.min(maxBytes, ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE) : maxBytes;
    }

    private void sharedGranted(int length) {
        sharedWaiter = null;
        if (closed) {
            shared.release(length);
            shares.release(principal, length);
            return;
        }
        record(length, true);
        Runnable r = pendingAdmitted;
        pendingAdmitted = null;
        r.run();
    }

    private void record(int length, boolean sharedBytes) {
        admitted.add(length);
        if (!sharedBytes) {
            unsharedFrames++;
        }
        held += length;
        pendingLength = -1;
    }

    /** After a later release: admits the frame the decoder waits for, if it now fits. */
    private void retryPending() {
        if (closed || pendingLength < 0 || sharedWaiter != null) {
            return;
        }
        if (tryPending()) {
            Runnable r = pendingAdmitted;
            pendingAdmitted = null;
            r.run();
        }
    }

    /** The session handled the oldest admitted frame: its bytes are free. */
    public void frameHandled() {
        Integer length = admitted.poll();
        if (length == null) {
            return;
        }
        if (unsharedFrames > 0) {
            unsharedFrames--;
            releaseLocal(length);
        } else {
            release(length);
        }
    }

    /**
     * The session keeps the oldest admitted frame's bytes (a PUBLISH, until it is answered).
     *
     * @return what to hand to {@link #publishEnded}: the frame's length, negated for a frame
     *     admitted before authentication (pipelined behind the AUTH), whose bytes are the
     *     connection's only and must not be given back to the shared budget or a share
     */
    public int takeFrame() {
        Integer length = admitted.poll();
        if (length == null) {
            return 0;
        }
        if (unsharedFrames > 0) {
            unsharedFrames--;
            return -length;
        }
        return length;
    }

    /** A publish of {@code count} messages waits for the disk. */
    public void publishStarted(int count) {
        messages += count;
        if (messages >= maxMessages) {
            messagesPaused = true;
        }
    }

    /** A publish was answered: its messages and the bytes of its frame are free. */
    public void publishEnded(int count, int frameBytes) {
        messages -= count;
        if (messagesPaused && messages <= maxMessages / 2) {
            messagesPaused = false;
        }
        if (frameBytes < 0) {
            releaseLocal(-frameBytes);
        } else {
            release(frameBytes);
        }
    }

    /** Gives back a frame admitted after authentication: connection, budget and share. */
    private void release(int length) {
        if (length > 0) {
            held -= length;
            shared.release(length);
            shares.release(principal, length);
        }
        // even with no bytes: a publish answered may have lifted the message pause
        retryPending();
    }

    /** Gives back a frame admitted before authentication: it held the connection's bytes only. */
    private void releaseLocal(int length) {
        held -= length;
        retryPending();
    }

    /**
     * The connection closed: frames never handled give their bytes back, a frame waiting for the
     * shared budget stops waiting. Publishes still waiting for the disk keep theirs until answered.
     */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (sharedWaiter != null && sharedWaiter.cancel()) {
            // withdrawn before its grant: the share it took is given back here; if the grant
            // came first, sharedGranted gives back both when it runs
            sharedWaiter = null;
            shares.release(principal, pendingLength);
        }
        if (principal != null) {
            shares.cancel(principal, shareWake);
        }
        pendingAdmitted = null;
        long unshared = 0;
        long unhandled = 0;
        int i = 0;
        for (Integer length : admitted) {
            if (i++ < unsharedFrames) {
                unshared += length;
            } else {
                unhandled += length;
            }
        }
        admitted.clear();
        unsharedFrames = 0;
        held -= unshared + unhandled;
        shared.release(unhandled);
        if (unhandled > 0) {
            shares.release(principal, unhandled);
        }
    }

    /** Bytes held for this connection: frames admitted and not handled, publishes not answered. */
    public long held() {
        return held;
    }

    /** Whether a frame waits for room. */
    public boolean waiting() {
        return pendingLength >= 0;
    }
}
