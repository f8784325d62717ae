package org.securebroker.client.internal.auth;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Authentication with bearer tokens (mechanism {@code JWT}); sessions with an expiry are
 * re-authenticated with fresh tokens from the same source.
 *
 * <p>Thread-safety: thread-safe.
 *
 * @param source where tokens come from
 */
public record TokenAuthentication(TokenSource source) implements Authentication {

    public TokenAuthentication {
        Objects.requireNonNull(source, "source");
    }

    @Override
    public AuthExchange start(List<String> offered) {
        if (!offered.contains(TokenExchange.MECHANISM)) {
            throw Authentication.unsupported(offered, TokenExchange.MECHANISM + " (a token supplier)");
        }
        return new TokenExchange(source);
    }

    @Override
    public String describe() {
        return "with a bearer token";
    }

    @Override
    public Optional<TokenSource> tokenSource() {
        return Optional.of(source);
    }
}
