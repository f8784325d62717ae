package org.securebroker.client.internal.auth;

import java.util.List;

/**
 * Authentication by the TLS client certificate alone (mechanism {@code EXTERNAL}): the broker
 * maps the certificate it verified during the handshake to a principal.
 *
 * <p>Thread-safety: immutable.
 */
public record CertificateAuthentication() implements Authentication {

    @Override
    public AuthExchange start(List<String> offered) {
        if (!offered.contains(ExternalExchange.MECHANISM)) {
            throw Authentication.unsupported(offered, ExternalExchange.MECHANISM
                    + " (the TLS client certificate; the broker offers it only when it verified one)");
        }
        return new ExternalExchange();
    }

    @Override
    public String describe() {
        return "with the TLS client certificate";
    }
}
