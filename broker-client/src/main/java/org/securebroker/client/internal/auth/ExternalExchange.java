package org.securebroker.client.internal.auth;

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
}
