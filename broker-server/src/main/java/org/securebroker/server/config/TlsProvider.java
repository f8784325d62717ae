package org.securebroker.server.config;

/** Which TLS implementation the listeners use ({@code tls.provider}). */
public enum TlsProvider {
    /** OpenSSL (BoringSSL) where it loads, else the JDK's. */
    AUTO,
    OPENSSL,
    JDK
}
