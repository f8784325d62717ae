package org.securebroker.client.internal.auth;

import org.securebroker.protocol.frame.AuthOkFrame;

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

    @Override
    public byte[] respond(byte[] challenge) {
        throw Exchanges.unexpectedChallenge(MECHANISM);
    }

    @Override
    public void verifySuccess(AuthOkFrame ok) {
        // PLAIN proves nothing about the broker beyond its TLS certificate.
    }

    @Override
    public void dispose() {
        // Nothing kept: the response array belongs to the caller.
    }
}
