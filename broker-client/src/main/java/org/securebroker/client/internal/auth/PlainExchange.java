package org.securebroker.client.internal.auth;

/**
 * PLAIN (RFC 4616): one AUTH carrying {@code NUL username NUL password}; no challenge.
 *
 * <p>Thread-safety: see {@link AuthExchange}.
 */
final class PlainExchange implements AuthExchange {

    static final String MECHANISM = "PLAIN";

    private final PasswordCredentials credentials;

    PlainExchange(PasswordCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public byte[] initialResponse() {
        try {
            return credentials.plainInitialResponse();
        } catch (IllegalStateException e) {
            throw Exchanges.credentialsGone(e);
        }
    }
}
