package org.securebroker.server.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the server's TLS context. Only TLS 1.3 and TLS 1.2 are enabled; TLS 1.2 only with ECDHE
 * key exchange and AEAD ciphers; key exchange groups X25519, P-256 and P-384. OpenSSL
 * (BoringSSL through netty-tcnative) is used when it loads, which halves the CPU cost of TLS;
 * otherwise the JDK provider. The log says which one runs.
 *
 * <p>Thread-safety: stateless.
 */
public final class ServerTls {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    /** Enabled protocol versions, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Enabled cipher suites: the TLS 1.3 suites, and ECDHE with AEAD for TLS 1.2. */
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

    /** Key exchange groups. */
    public static final List<String> GROUPS = List.of("x25519", "secp256r1", "secp384r1");

    /** Which TLS implementation to use. */
    public enum Provider {
        AUTO, OPENSSL, JDK
    }

    private ServerTls() {
    }

    /**
     * @throws SSLException if the certificate or key cannot be loaded, or OpenSSL was required
     *     and does not load
     */
    public static SslContext serverContext(Path certificateChain, Path privateKey, Provider provider) throws SSLException {
        SslProvider chosen = choose(provider);
        SslContextBuilder builder = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
                .sslProvider(chosen)
                .protocols(PROTOCOLS)
                .ciphers(CIPHER_SUITES)
                .clientAuth(ClientAuth.NONE);
        if (chosen == SslProvider.OPENSSL) {
            builder.option(OpenSslContextOption.GROUPS, new String[] {"X25519", "P-256", "P-384"});
        } else {
            restrictJdkGroups();
        }
        SslContext context = builder.build();
        LOG.info("TLS provider: {} ({}); protocols {}; {} cipher suites", chosen == SslProvider.OPENSSL ? "OpenSSL"
                : "JDK", chosen == SslProvider.OPENSSL ? OpenSsl.versionString() : System.getProperty("java.version"),
                PROTOCOLS, context.cipherSuites().size());
        return context;
    }

    static SslProvider choose(Provider provider) throws SSLException {
        switch (provider) {
            case JDK:
                return SslProvider.JDK;
            case OPENSSL:
                if (!OpenSsl.isAvailable()) {
                    throw new SSLException("tls.provider is 'openssl' but OpenSSL does not load: "
                            + OpenSsl.unavailabilityCause());
                }
                return SslProvider.OPENSSL;
            default:
                if (OpenSsl.isAvailable()) {
                    return SslProvider.OPENSSL;
                }
                LOG.info("OpenSSL does not load ({}); using the JDK's TLS", String.valueOf(OpenSsl.unavailabilityCause()));
                return SslProvider.JDK;
        }
    }

    /**
     * The JDK's TLS reads its key exchange groups from a system property once; set it before
     * the first handshake unless the operator set it.
     */
    static void restrictJdkGroups() {
        if (System.getProperty("jdk.tls.namedGroups") == null) {
            System.setProperty("jdk.tls.namedGroups", String.join(",", GROUPS));
        }
    }
}
