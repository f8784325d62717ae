package org.securebroker.server.limits;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
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
 * <p>No deadlock: a frame is admitted past the connection's byte bound when the connection holds
 * nothing else, and the shared budget does the same for the broker as a whole.
 *
 * <p>Thread-safety: not thread-safe; every method runs on the connection's event loop, which
 * {@code eventLoop} is. Grants of the shared budget are handed to it.
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

    /** Reserves the pending frame if the connection and the broker have room; true if it did now. */
    private boolean tryPending() {
        int length = pendingLength;
        if (messagesPaused || (held > 0 && held + length > maxBytes)) {
            return false;
        }
        MemoryBudget.Waiter w = shared.reserveOrWait(length, () -> eventLoop.execute(() -> sharedGranted(length)));
        if (w != null) {
            sharedWaiter = w;
            return false;
        }
        record(length);
        return true;
    }

    private void sharedGranted(int length) {
        sharedWaiter = null;
        if (closed) {
            shared.release(length);
            return;
        }
        record(length);
        Runnable r = pendingAdmitted;
        pendingAdmitted = null;
        r.run();
    }

    private void record(int length) {
        admitted.add(length);
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
        if (length != null) {
            release(length);
        }
    }

    /**
     * The session keeps the oldest admitted frame's bytes (a PUBLISH, until it is answered).
     *
     * @return its length, to hand to {@link #publishEnded}
     */
    public int takeFrame() {
        Integer length = admitted.poll();
        return length == null ? 0 : length;
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
        release(frameBytes);
    }

    private void release(int length) {
        held -= length;
        shared.release(length);
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
            sharedWaiter = null;
        }
        pendingAdmitted = null;
        long unhandled = 0;
        for (Integer length : admitted) {
            unhandled += length;
        }
        admitted.clear();
        held -= unhandled;
        shared.release(unhandled);
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
