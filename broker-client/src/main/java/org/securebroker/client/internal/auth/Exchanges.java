package org.securebroker.client.internal.auth;

import org.securebroker.protocol.ErrorCode;

/**
 * Failures shared by the exchanges.
 *
 * <p>Thread-safety: stateless.
 */
final class Exchanges {

    private Exchanges() {
    }

    /** The client was closed (and forgot the password) while a connection was authenticating. */
    static AuthException credentialsGone(IllegalStateException cause) {
        return new AuthException(ErrorCode.CLIENT_CLOSED, "credentials are no longer available", cause);
    }

    /** A challenge for a mechanism that has none. */
    static AuthException unexpectedChallenge(String mechanism) {
        return new AuthException(ErrorCode.PROTOCOL_ERROR, false,
                "the broker sent an AUTH_CHALLENGE, which " + mechanism + " does not have", null);
    }
}
