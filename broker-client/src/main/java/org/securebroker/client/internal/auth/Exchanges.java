package org.securebroker.client.internal.auth;

import org.securebroker.client.BrokerException;
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
    static BrokerException credentialsGone(IllegalStateException cause) {
        return new BrokerException(ErrorCode.CLIENT_CLOSED, "credentials are no longer available", cause);
    }

    /** A challenge for a mechanism that has none. */
    static BrokerException unexpectedChallenge(String mechanism) {
        return new BrokerException(ErrorCode.PROTOCOL_ERROR, false,
                "the broker sent an AUTH_CHALLENGE, which " + mechanism + " does not have", null);
    }
}
