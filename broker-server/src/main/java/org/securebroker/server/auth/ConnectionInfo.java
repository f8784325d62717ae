package org.securebroker.server.auth;

import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What a mechanism may know about the connection: the peer's address (for brute-force limits)
 * and the client certificate chain the TLS layer verified, if any.
 *
 * <p>Thread-safety: immutable.
 */
public record ConnectionInfo(InetAddress address, List<X509Certificate> clientCertificates) {

    public ConnectionInfo {
        clientCertificates = List.copyOf(clientCertificates);
    }

    public boolean hasClientCertificate() {
        return !clientCertificates.isEmpty();
    }
}
