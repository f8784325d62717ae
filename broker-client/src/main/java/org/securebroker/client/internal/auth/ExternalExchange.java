package org.securebroker.client.internal.auth;

import org.securebroker.protocol.frame.AuthOkFrame;

/**
 * EXTERNAL: an AUTH with an empty initial response; the identity is the TLS client certificate
 * the broker verified.
 *
 * <p>Thread-safety: see {@link AuthExchange}.
 */
final class ExternalExchange implements AuthExchange {

    static final String MECHANISM = "EXTERNAL";

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public byte[] initialResponse() {
        return new byte[0];
    }

    @Override
    public byte[] respond(byte[] challenge) {
        throw Exchanges.unexpectedChallenge(MECHANISM);
    }

    @Override
    public void verifySuccess(AuthOkFrame ok) {
        // The broker verified the certificate in the TLS handshake.
    }

    @Override
    public void dispose() {
        // Nothing secret.
    }
}
