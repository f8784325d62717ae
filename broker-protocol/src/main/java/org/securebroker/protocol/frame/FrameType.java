package org.securebroker.protocol.frame;

import java.util.Optional;

/**
 * The frame types of protocol version 1 with their fixed one-byte codes.
 *
 * <p>Codes never change once released. Codes 0x07-0x0F (authentication extensions) and
 * 0x24-0x2F (administration) are reserved for later versions; any code not listed here is
 * rejected with UNKNOWN_FRAME_TYPE.
 *
 * <p>Thread-safety: enum constants are immutable and safe to share between threads.
 */
public enum FrameType {
    HELLO(0x01, Direction.CLIENT_TO_SERVER),
    HELLO_OK(0x02, Direction.SERVER_TO_CLIENT),
    AUTH(0x03, Direction.CLIENT_TO_SERVER),
    AUTH_CHALLENGE(0x04, Direction.SERVER_TO_CLIENT),
    AUTH_RESPONSE(0x05, Direction.CLIENT_TO_SERVER),
    AUTH_OK(0x06, Direction.SERVER_TO_CLIENT),

    PUBLISH(0x10, Direction.CLIENT_TO_SERVER),
    PUBLISH_OK(0x11, Direction.SERVER_TO_CLIENT),
    SUBSCRIBE(0x12, Direction.CLIENT_TO_SERVER),
    SUBSCRIBE_OK(0x13, Direction.SERVER_TO_CLIENT),
    UNSUBSCRIBE(0x14, Direction.CLIENT_TO_SERVER),
    CREDIT(0x15, Direction.CLIENT_TO_SERVER),
    DELIVER(0x16, Direction.SERVER_TO_CLIENT),
    ACK(0x17, Direction.CLIENT_TO_SERVER),
    NACK(0x18, Direction.CLIENT_TO_SERVER),
    CANCEL(0x19, Direction.SERVER_TO_CLIENT),

    CREATE_QUEUE(0x20, Direction.CLIENT_TO_SERVER),
    DELETE_QUEUE(0x21, Direction.CLIENT_TO_SERVER),
    LIST_QUEUES(0x22, Direction.CLIENT_TO_SERVER),
    QUEUE_LIST(0x23, Direction.SERVER_TO_CLIENT),
    RELOAD(0x24, Direction.CLIENT_TO_SERVER),

    OK(0x30, Direction.SERVER_TO_CLIENT),
    ERROR(0x31, Direction.SERVER_TO_CLIENT),
    PING(0x32, Direction.EITHER),
    PONG(0x33, Direction.EITHER),
    CLOSE(0x34, Direction.EITHER);

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

    FrameType(int code, Direction direction) {
        this.code = code;
        this.direction = direction;
    }

    /** The one-byte code on the wire. */
    public int code() {
        return code;
    }

    /** Which side may send this frame type. */
    public Direction direction() {
        return direction;
    }

    /** The type for a wire code, or empty if the code is not assigned in this version. */
    public static Optional<FrameType> fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_CODE[code]);
    }
}
