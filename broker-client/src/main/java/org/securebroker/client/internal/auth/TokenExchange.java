package org.securebroker.client.internal.auth;

/**
 * JWT: one AUTH carrying a compact JWS from the token supplier; no challenge. AUTH_OK names the
 * principal from the token and the session's expiry.
 *
 * <p>Thread-safety: see {@link AuthExchange}.
 */
public final class TokenExchange implements AuthExchange {

    /** The mechanism name, also used for re-authentication of a live session. */
    public static final String MECHANISM = "JWT";

    private final TokenSource source;

    TokenExchange(TokenSource source) {
        this.source = source;
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public byte[] initialResponse() {
        return source.fetch(TokenSource.MAX_INITIAL_TOKEN_BYTES);
    }
}
