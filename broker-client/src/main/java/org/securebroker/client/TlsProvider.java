package org.securebroker.client;

/**
 * Which TLS implementation the client uses.
 *
 * <p>Thread-safety: immutable.
 */
enum TlsProvider {
    /** OpenSSL (BoringSSL via netty-tcnative) when it is on the class path and loads, else the JDK. */
    AUTO,
    /** Always the JDK's implementation. */
    JDK
}
