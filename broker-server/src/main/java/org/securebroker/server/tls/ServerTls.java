package org.securebroker.server.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import org.securebroker.protocol.TlsPolicy;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.TlsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the server's TLS context with the protocol's fixed {@link TlsPolicy}: TLS 1.3 and 1.2,
 * ECDHE and AEAD only, groups X25519, P-256 and P-384. OpenSSL
 * (BoringSSL through netty-tcnative) is used when it loads, which halves the CPU cost of TLS;
 * otherwise the JDK provider. The log says which one runs. Client certificates are requested per
 * {@code tls.clientAuth} and verified by {@link ClientCertificateVerifier} with either provider.
 *
 * <p>Thread-safety: stateless.
 */
public final class ServerTls {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    private ServerTls() {
    }

    /**
     * Builds a server context for a certificate chain and its key.
     *
     * @param chain the server certificate first, then its issuers
     * @param clientAuth whether to ask for client certificates; unless {@code NONE}, they are
     *     checked by {@code clientVerifier} alone (the system trust store is never consulted)
     * @param clientVerifier required unless {@code clientAuth} is {@code NONE}
     * @throws SSLException if the key or chain is unusable, or OpenSSL was required and does
     *     not load
     */
    public static SslContext serverContext(PrivateKey key, List<X509Certificate> chain, TlsProvider provider,
                                           BrokerConfig.ClientAuth clientAuth, ClientCertificateVerifier clientVerifier)
            throws SSLException {
        if (clientAuth != BrokerConfig.ClientAuth.NONE && clientVerifier == null) {
            throw new IllegalArgumentException("tls.clientAuth " + clientAuth + " needs a client certificate verifier");
        }
        SslProvider chosen = choose(provider);
        SslContextBuilder builder = SslContextBuilder.forServer(key, chain)
                .sslProvider(chosen)
                .protocols(TlsPolicy.PROTOCOLS)
                .ciphers(TlsPolicy.CIPHER_SUITES)
                .clientAuth(switch (clientAuth) {
                    case NONE -> ClientAuth.NONE;
                    case OPTIONAL -> ClientAuth.OPTIONAL;
                    case REQUIRED -> ClientAuth.REQUIRE;
                });
        if (clientAuth != BrokerConfig.ClientAuth.NONE) {
            builder.trustManager(clientVerifier);
        }
        if (chosen == SslProvider.OPENSSL) {
            builder.option(OpenSslContextOption.GROUPS, TlsPolicy.OPENSSL_GROUPS.toArray(String[]::new));
        } else {
            restrictJdkGroups();
        }
        SslContext context = builder.build();
        LOG.info("TLS provider: {} ({}); protocols {}; {} cipher suites; client certificates {}",
                chosen == SslProvider.OPENSSL ? "OpenSSL" : "JDK",
                chosen == SslProvider.OPENSSL ? OpenSsl.versionString() : System.getProperty("java.version"),
                TlsPolicy.PROTOCOLS, context.cipherSuites().size(), switch (clientAuth) {
                    case NONE -> "not requested";
                    case OPTIONAL -> "requested (optional)";
                    case REQUIRED -> "required";
                });
        return context;
    }

    static SslProvider choose(TlsProvider provider) throws SSLException {
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
            System.setProperty("jdk.tls.namedGroups", String.join(",", TlsPolicy.JDK_GROUPS));
        }
    }
}
