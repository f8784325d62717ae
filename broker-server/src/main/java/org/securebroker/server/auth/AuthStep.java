package org.securebroker.server.auth;

import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.server.identity.Identity;

/**
 * The outcome of one message of an authentication exchange.
 *
 * <p>Thread-safety: immutable.
 */
public sealed interface AuthStep permits AuthStep.Challenge, AuthStep.Success, AuthStep.Failure {

    /** The mechanism needs another round: send this to the client in AUTH_CHALLENGE. */
    record Challenge(Bytes data) implements AuthStep {
    }

    /** Authenticated; {@code additionalData} goes into AUTH_OK (SCRAM's server signature). */
    record Success(Identity identity, Bytes additionalData) implements AuthStep {
    }

    /**
     * Refused. The client sees only {@code code} and {@code clientMessage}; {@code reason} (which may
     * name the account and what exactly failed) goes to the server log and audit.
     *
     * @param account the account the attempt was for, if known (for brute-force accounting)
     */
    record Failure(ErrorCode code, String clientMessage, String reason, String account) implements AuthStep {

        public static Failure denied(String reason, String account) {
            return new Failure(ErrorCode.AUTHENTICATION_FAILED, "authentication failed", reason, account);
        }
    }
}
