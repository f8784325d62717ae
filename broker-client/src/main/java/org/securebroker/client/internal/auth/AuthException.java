package org.securebroker.client.internal.auth;

import java.util.Objects;
import org.securebroker.protocol.ErrorCode;

/**
 * A failure of the client's side of authentication (a mechanism the broker does not offer, a
 * token supplier that failed, a SCRAM exchange the client refuses), with the protocol error code
 * and retriability the client reports it under. This package sits below the client's API, so the
 * client turns it into its {@code BrokerException}, adding which broker it concerns.
 *
 * <p>The detail never contains a secret and does not name the broker.
 *
 * <p>Thread-safety: immutable.
 */
public final class AuthException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final boolean retriable;
    private final String detail;

    /** A failure with {@code code}, retriable as the code says. */
    public AuthException(ErrorCode code, String detail) {
        this(code, Objects.requireNonNull(code, "code").retriable(), detail, null);
    }

    /** A failure with {@code code}, retriable as the code says, keeping its cause. */
    public AuthException(ErrorCode code, String detail, Throwable cause) {
        this(code, Objects.requireNonNull(code, "code").retriable(), detail, cause);
    }

    /** A failure with {@code code} whose retriability differs from the code's default, keeping its cause. */
    public AuthException(ErrorCode code, boolean retriable, String detail, Throwable cause) {
        super(ErrorCode.describe(Objects.requireNonNull(code, "code").code()) + " (" + code.code() + "): "
                + Objects.requireNonNull(detail, "detail"), cause);
        this.code = code;
        this.retriable = retriable;
        this.detail = detail;
    }

    public ErrorCode code() {
        return code;
    }

    /** Whether another attempt (a new connection, a fresh token) may succeed. */
    public boolean retriable() {
        return retriable;
    }

    /** The message without the code prefix. */
    public String detail() {
        return detail;
    }
}
