package org.securebroker.client.internal.auth;

import java.util.List;
import java.util.Optional;
import org.securebroker.protocol.ErrorCode;

/**
 * How a client proves its identity, configured once and used on every connection: a password
 * (PLAIN or SCRAM-SHA-256), a bearer-token supplier (JWT), or only the TLS client certificate
 * (EXTERNAL).
 *
 * <p>Thread-safety: implementations are thread-safe.
 */
public sealed interface Authentication
        permits PasswordAuthentication, TokenAuthentication, CertificateAuthentication {

    /**
     * Picks this authentication's mechanism among those the broker offers and starts an
     * exchange for one connection attempt.
     *
     * @throws AuthException {@code UNSUPPORTED_MECHANISM} (not retriable) if the broker offers
     *     none that fits
     */
    AuthExchange start(List<String> offeredMechanisms);

    /** Who authenticates, for messages and logs, e.g. {@code as 'alice'}; never a secret. */
    String describe();

    /** The token source, when sessions can be re-authenticated with fresh tokens. */
    default Optional<TokenSource> tokenSource() {
        return Optional.empty();
    }

    /** Overwrites secrets the client will not need again (the password). Idempotent. */
    default void forget() {
    }

    /** The error for a broker that offers none of the mechanisms this client may use. */
    static AuthException unsupported(List<String> offered, String wanted) {
        return new AuthException(ErrorCode.UNSUPPORTED_MECHANISM,
                "the broker offers " + offered + "; this client is configured for " + wanted);
    }
}
