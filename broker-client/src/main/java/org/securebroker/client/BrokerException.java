package org.securebroker.client;

import java.util.Objects;
import java.util.Optional;
import org.securebroker.protocol.ErrorCode;

/**
 * The one exception the client throws or fails futures with: the broker refused a request, the
 * connection was lost, a request timed out, the client was closed, or the local send buffer was
 * full.
 *
 * <p>{@link #code()} names the condition with the protocol's {@link ErrorCode}; conditions the
 * client detects itself use the client-side codes {@link ErrorCode#CONNECTION_LOST},
 * {@link ErrorCode#TIMEOUT}, {@link ErrorCode#CLIENT_CLOSED} and {@link ErrorCode#OVERLOADED}
 * (local send buffer full). A broker newer than this client may report a number this client does
 * not know: {@link #code()} is then empty, {@link #rawCode()} keeps the number and the error is
 * not retriable. {@link #retriable()} says whether the same request may succeed later, possibly
 * after the client has reconnected.
 *
 * <p>Messages never contain passwords or message payloads.
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 */
public final class BrokerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int rawCode;
    private final ErrorCode code;
    private final boolean retriable;
    private final String detail;

    /** An error with {@code code}, retriable as the code says. */
    public BrokerException(ErrorCode code, String detail) {
        this(code, Objects.requireNonNull(code, "code").retriable(), detail, null);
    }

    /** An error with {@code code}, retriable as the code says, keeping its cause. */
    public BrokerException(ErrorCode code, String detail, Throwable cause) {
        this(code, Objects.requireNonNull(code, "code").retriable(), detail, cause);
    }

    /** An error with {@code code} whose retriability differs from the code's default. */
    public BrokerException(ErrorCode code, boolean retriable, String detail, Throwable cause) {
        this(Objects.requireNonNull(code, "code").code(), code, retriable, detail, cause);
    }

    private BrokerException(int rawCode, ErrorCode code, boolean retriable, String detail,
                            Throwable cause) {
        super(ErrorCode.describe(rawCode) + " (" + rawCode + "): "
                + Objects.requireNonNull(detail, "detail"), cause);
        this.rawCode = rawCode;
        this.code = code;
        this.retriable = retriable;
        this.detail = detail;
    }

    /**
     * An error the broker reported on the wire. A code this client does not know is kept as a
     * number and is not retriable.
     *
     * @param rawCode the u16 error code from an ERROR or CLOSE frame
     * @param detail what failed, including the broker's message
     */
    public static BrokerException fromWire(int rawCode, String detail) {
        ErrorCode known = ErrorCode.fromCode(rawCode).orElse(null);
        return new BrokerException(rawCode, known, known != null && known.retriable(), detail,
                null);
    }

    /**
     * The same error with a new stack trace (the caller's) and this exception as cause. Used
     * when a blocking call rethrows a failure that happened on another thread.
     */
    public BrokerException rethrownHere() {
        return new BrokerException(rawCode, code, retriable, detail, this);
    }

    /** The error code, or empty if the broker sent a number this client version does not know. */
    public Optional<ErrorCode> code() {
        return Optional.ofNullable(code);
    }

    /** Whether the error has the given code. */
    public boolean is(ErrorCode errorCode) {
        return code == errorCode;
    }

    /** The numeric error code as sent on the wire (or the client-side code's number). */
    public int rawCode() {
        return rawCode;
    }

    /**
     * Whether the same request may succeed if tried again later (after back-off, or once the
     * client has reconnected). Always false for codes this client does not know.
     */
    public boolean retriable() {
        return retriable;
    }

    /** The message without the code prefix. */
    public String detail() {
        return detail;
    }
}
