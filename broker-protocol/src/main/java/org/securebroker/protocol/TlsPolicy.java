package org.securebroker.protocol;

import java.util.List;

/**
 * The transport the protocol runs on, fixed for both ends: TLS 1.3 and TLS 1.2 only, TLS 1.2 only
 * with ECDHE key exchange and AEAD ciphers, key exchange groups X25519, P-256 and P-384. Neither
 * the broker's configuration nor the client's builder can widen it.
 *
 * <p>Thread-safety: constants only.
 */
public final class TlsPolicy {

    /** Enabled protocol versions, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Enabled cipher suites (standard names; Netty maps them for OpenSSL). */
    public static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** Key exchange groups, in the JDK's names. */
    public static final List<String> JDK_GROUPS = List.of("x25519", "secp256r1", "secp384r1");

    /** The same groups, in OpenSSL's names. */
    public static final List<String> OPENSSL_GROUPS = List.of("X25519", "P-256", "P-384");

    private TlsPolicy() {
    }
}
