package org.securebroker.protocol.frame;

import java.util.Optional;

/**
 * The frame types with their fixed one-byte codes and the protocol version that introduced each.
 *
 * <p>Codes never change once released. A type is valid only in a session that negotiated its
 * version {@link #since()} or a later one; in an earlier session its code is unknown, exactly as
 * a code not listed here, and rejected with UNKNOWN_FRAME_TYPE. Codes 0x07-0x0F (authentication
 * extensions), 0x1B-0x1F (consumer) and 0x2E-0x2F (administration) are reserved for later
 * versions.
 *
 * <p>Thread-safety: enum constants are immutable and safe to share between threads.
 */
public enum FrameType {
    HELLO(0x01, Direction.CLIENT_TO_SERVER, 1),
    HELLO_OK(0x02, Direction.SERVER_TO_CLIENT, 1),
    AUTH(0x03, Direction.CLIENT_TO_SERVER, 1),
    AUTH_CHALLENGE(0x04, Direction.SERVER_TO_CLIENT, 1),
    AUTH_RESPONSE(0x05, Direction.CLIENT_TO_SERVER, 1),
    AUTH_OK(0x06, Direction.SERVER_TO_CLIENT, 1),

    PUBLISH(0x10, Direction.CLIENT_TO_SERVER, 1),
    PUBLISH_OK(0x11, Direction.SERVER_TO_CLIENT, 1),
    SUBSCRIBE(0x12, Direction.CLIENT_TO_SERVER, 1),
    SUBSCRIBE_OK(0x13, Direction.SERVER_TO_CLIENT, 1),
    UNSUBSCRIBE(0x14, Direction.CLIENT_TO_SERVER, 1),
    CREDIT(0x15, Direction.CLIENT_TO_SERVER, 1),
    DELIVER(0x16, Direction.SERVER_TO_CLIENT, 1),
    ACK(0x17, Direction.CLIENT_TO_SERVER, 1),
    NACK(0x18, Direction.CLIENT_TO_SERVER, 1),
    CANCEL(0x19, Direction.SERVER_TO_CLIENT, 1),
    REJECT(0x1A, Direction.CLIENT_TO_SERVER, 2),

    CREATE_QUEUE(0x20, Direction.CLIENT_TO_SERVER, 1),
    DELETE_QUEUE(0x21, Direction.CLIENT_TO_SERVER, 1),
    LIST_QUEUES(0x22, Direction.CLIENT_TO_SERVER, 1),
    QUEUE_LIST(0x23, Direction.SERVER_TO_CLIENT, 1),
    RELOAD(0x24, Direction.CLIENT_TO_SERVER, 1),
    LIST_SUBSCRIPTIONS(0x25, Direction.CLIENT_TO_SERVER, 2),
    SUBSCRIPTION_LIST(0x26, Direction.SERVER_TO_CLIENT, 2),
    DELETE_SUBSCRIPTION(0x27, Direction.CLIENT_TO_SERVER, 2),
    PURGE_QUEUE(0x28, Direction.CLIENT_TO_SERVER, 2),
    PURGE_OK(0x29, Direction.SERVER_TO_CLIENT, 2),
    BROWSE(0x2A, Direction.CLIENT_TO_SERVER, 2),
    BROWSE_RESULT(0x2B, Direction.SERVER_TO_CLIENT, 2),
    SEEK(0x2C, Direction.CLIENT_TO_SERVER, 2),
    SEEK_OK(0x2D, Direction.SERVER_TO_CLIENT, 2),

    OK(0x30, Direction.SERVER_TO_CLIENT, 1),
    ERROR(0x31, Direction.SERVER_TO_CLIENT, 1),
    PING(0x32, Direction.EITHER, 1),
    PONG(0x33, Direction.EITHER, 1),
    CLOSE(0x34, Direction.EITHER, 1);

    /** Which side may send a frame type. */
    public enum Direction {
        CLIENT_TO_SERVER,
        SERVER_TO_CLIENT,
        EITHER
    }

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            if (BY_CODE[t.code] != null) {
                throw new IllegalStateException("duplicate frame type code " + t.code);
            }
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final Direction direction;
    private final int since;

    FrameType(int code, Direction direction, int since) {
        this.code = code;
        this.direction = direction;
        this.since = since;
    }

    /** The one-byte code on the wire. */
    public int code() {
        return code;
    }

    /** Which side may send this frame type. */
    public Direction direction() {
        return direction;
    }

    /** The protocol version that introduced this type; sessions of earlier versions do not know it. */
    public int since() {
        return since;
    }

    /** Whether this type may be sent in a session that negotiated {@code version}. */
    public boolean validIn(int version) {
        return version >= since;
    }

    /**
     * The type for a wire code in any version this implementation speaks, or empty if the code
     * is not assigned at all.
     */
    public static Optional<FrameType> fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_CODE[code]);
    }

    /**
     * The type for a wire code in a session that negotiated {@code version}, or empty if the
     * code is not assigned in that version (unassigned, or introduced by a later version).
     */
    public static Optional<FrameType> fromCode(int code, int version) {
        return fromCode(code).filter(t -> t.validIn(version));
    }
}
