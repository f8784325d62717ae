package org.securebroker.protocol;

/**
 * Size and count limits of protocol versions 1 and 2.
 *
 * <p>A "frame size" is the value of a frame's u32 length field: the bytes that follow the
 * length field (type, flags, correlation id and body). The whole frame on the wire is four
 * bytes longer. Every limit is checked before anything is allocated for the data it bounds.
 *
 * <p>Thread-safety: constants and pure functions only; safe from any thread.
 */
public final class ProtocolLimits {

    /** Frame size limit after authentication unless negotiated lower: 1 MiB payload + room for metadata. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 1024 * 1024 + 64 * 1024;
    /** Frame size limit before authentication completes (HELLO and AUTH exchanges). */
    public static final int PRE_AUTH_MAX_FRAME_SIZE = 64 * 1024;
    /** Lowest value a frame size limit may be set or negotiated to. */
    public static final int MIN_FRAME_SIZE_LIMIT = 4 * 1024;
    /** Highest value a frame size limit may ever take; no frame can be larger. */
    public static final int ABSOLUTE_MAX_FRAME_SIZE = 64 * 1024 * 1024;

    /** Largest UTF-8 byte length of a {@code string} field (its length is a u16). */
    public static final int MAX_STRING_BYTES = 0xFFFF;
    /** Most headers a message may carry. */
    public static final int MAX_HEADERS = 64;
    /** Most messages in one PUBLISH frame. */
    public static final int MAX_PUBLISH_MESSAGES = 1000;
    /** Most offsets in one ACK frame. */
    public static final int MAX_ACK_OFFSETS = 4096;
    /** Largest UTF-8 byte length of a REJECT reason (version 2). */
    public static final int MAX_REJECT_REASON_BYTES = 1024;
    /** Most messages one BROWSE may ask for and one BROWSE_RESULT may carry (version 2). */
    public static final int MAX_BROWSE_MESSAGES = 1000;

    private ProtocolLimits() {
    }

    /**
     * The frame size limit both sides use after HELLO_OK: the smaller of the client's and the
     * server's.
     *
     * @param clientMaxFrameSize the u32 value the client announced in HELLO
     * @param serverMaxFrameSize the server's configured limit, within
     *     [{@link #MIN_FRAME_SIZE_LIMIT}, {@link #ABSOLUTE_MAX_FRAME_SIZE}]
     * @throws ProtocolException PROTOCOL_ERROR if the client announced less than
     *     {@link #MIN_FRAME_SIZE_LIMIT}
     * @throws IllegalArgumentException if the server's own limit is out of range
     */
    public static int negotiateMaxFrameSize(long clientMaxFrameSize, int serverMaxFrameSize) {
        requireValidFrameSizeLimit(serverMaxFrameSize);
        if (clientMaxFrameSize < MIN_FRAME_SIZE_LIMIT) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "client max frame size "
                    + clientMaxFrameSize + " is below the minimum of " + MIN_FRAME_SIZE_LIMIT);
        }
        return (int) Math.min(clientMaxFrameSize, serverMaxFrameSize);
    }

    /**
     * Checks that {@code limit} is an acceptable frame size limit.
     *
     * @return {@code limit}
     * @throws IllegalArgumentException if it is outside
     *     [{@link #MIN_FRAME_SIZE_LIMIT}, {@link #ABSOLUTE_MAX_FRAME_SIZE}]
     */
    public static int requireValidFrameSizeLimit(int limit) {
        if (limit < MIN_FRAME_SIZE_LIMIT || limit > ABSOLUTE_MAX_FRAME_SIZE) {
            throw new IllegalArgumentException("frame size limit " + limit + " is outside ["
                    + MIN_FRAME_SIZE_LIMIT + ", " + ABSOLUTE_MAX_FRAME_SIZE + "]");
        }
        return limit;
    }
}
