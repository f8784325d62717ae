package org.securebroker.server.auth.jwt;

/**
 * A token was refused. The message says which check failed and is safe to log and to send to
 * the client: it never contains the token, only short, sanitized claim or header values.
 *
 * <p>Thread-safety: immutable.
 */
public final class JwtRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    JwtRejectedException(String reason) {
        super(reason);
    }

    JwtRejectedException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
