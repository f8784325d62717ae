package org.securebroker.server.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import javax.net.ssl.SSLException;
import org.securebroker.protocol.TlsPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the server's TLS context with the protocol's fixed {@link TlsPolicy}: TLS 1.3 and 1.2,
 * ECDHE and AEAD only, groups X25519, P-256 and P-384. OpenSSL
 * (BoringSSL through netty-tcnative) is used when it loads, which halves the CPU cost of TLS;
 * otherwise the JDK provider. The log says which one runs.
 *
 * <p>Thread-safety: stateless.
 */
public final class ServerTls {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

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
                .protocols(TlsPolicy.PROTOCOLS)
                .ciphers(TlsPolicy.CIPHER_SUITES)
                .clientAuth(ClientAuth.NONE);
        if (chosen == SslProvider.OPENSSL) {
            builder.option(OpenSslContextOption.GROUPS, TlsPolicy.OPENSSL_GROUPS.toArray(String[]::new));
        } else {
            restrictJdkGroups();
        }
        SslContext context = builder.build();
        LOG.info("TLS provider: {} ({}); protocols {}; {} cipher suites", chosen == SslProvider.OPENSSL ? "OpenSSL"
                : "JDK", chosen == SslProvider.OPENSSL ? OpenSsl.versionString() : System.getProperty("java.version"),
                TlsPolicy.PROTOCOLS, context.cipherSuites().size());
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
            System.setProperty("jdk.tls.namedGroups", String.join(",", TlsPolicy.JDK_GROUPS));
        }
    }
}
