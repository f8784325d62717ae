package org.securebroker.client.internal.auth;

import org.securebroker.protocol.frame.AuthOkFrame;

/**
 * One authentication attempt with one mechanism, from the client's side: produces the AUTH
 * initial response, answers each AUTH_CHALLENGE, and checks the AUTH_OK.
 *
 * <p>Failures are {@link AuthException}s whose detail does not name the broker (the caller
 * adds it) and never contains a secret.
 *
 * <p>Thread-safety: not thread-safe. Calls are sequential; the caller hands the exchange from
 * thread to thread (I/O thread, authentication thread) with happens-before ordering. Returned
 * arrays belong to the caller, which overwrites them after use.
 */
public interface AuthExchange {

    /** The mechanism name sent in AUTH, e.g. {@code SCRAM-SHA-256}. */
    String mechanism();

    /**
     * The AUTH initial response. May block briefly (a token supplier), so it is never called on
     * the I/O thread.
     *
     * @throws AuthException if no response can be produced (credentials gone, supplier failed)
     */
    byte[] initialResponse();

    /**
     * The AUTH_RESPONSE to a challenge. May be slow (PBKDF2), so it is never called on the I/O
     * thread. By default a mechanism has a single step, and a challenge is a protocol error.
     *
     * @throws AuthException if the challenge is malformed, unexpected or unacceptable
     */
    default byte[] respond(byte[] challenge) {
        throw Exchanges.unexpectedChallenge(mechanism());
    }

    /**
     * Checks the broker's AUTH_OK (for SCRAM: the server signature). Cheap; called on the I/O
     * thread. By default there is nothing to check beyond the broker's TLS certificate.
     *
     * @throws AuthException if the broker did not prove what the mechanism requires; the
     *     connection must then be dropped
     */
    default void verifySuccess(AuthOkFrame ok) {
    }

    /**
     * Overwrites whatever secret state the exchange still holds. Idempotent. By default the
     * exchange keeps nothing (returned arrays belong to the caller).
     */
    default void dispose() {
    }
}
