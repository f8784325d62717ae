package org.securebroker.protocol.codec;

/**
 * Decides whether the {@link FrameDecoder} may receive the body of a frame, asked as soon as its
 * length field has been read and checked against the frame size limit, before any byte of the
 * body is awaited. A receiver that bounds the memory of frames in transit implements it: a frame
 * refused is not read (the decoder stops reading from the channel) until the receiver has room
 * for it and says so through the callback.
 *
 * <p>Thread-safety: {@link #admit} is called on the channel's event loop; implementations may
 * run the callback on any thread, and the decoder hands it back to its event loop.
 */
@FunctionalInterface
public interface FrameAdmission {

    /** Admits every frame: the decoder's bound is the frame size limit alone. */
    FrameAdmission ALL = (frameLength, admitted) -> true;

    /**
     * Asks to receive a frame whose length field is {@code frameLength} (at most the decoder's
     * limit).
     *
     * @param admitted run exactly once, later, when the frame has been admitted after all, if this
     *     call returns false; never run if it returns true
     * @return true if the frame is admitted now
     */
    boolean admit(int frameLength, Runnable admitted);
}
