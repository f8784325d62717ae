package org.securebroker.client;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.securebroker.protocol.TlsPolicy;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the client's TLS context: TLS 1.3 and 1.2 with ECDHE and AEAD suites only, the
 * configured CA certificates as the only trust anchors, host name verification ("HTTPS"
 * endpoint identification) always on, and the client certificate, if one is configured,
 * presented whenever the broker asks for one (whatever the authentication mechanism).
 *
 * <p>Thread-safety: stateless.
 */
final class TlsContextFactory {

    private static final Logger LOG = LoggerFactory.getLogger(TlsContextFactory.class);

    /** Protocol versions offered, newest first. */
    public static final List<String> PROTOCOLS = TlsPolicy.PROTOCOLS;

    /** Cipher suites offered. */
    public static final List<String> CIPHER_SUITES = TlsPolicy.CIPHER_SUITES;

    private TlsContextFactory() {
    }

    /**
     * A client context trusting exactly {@code trusted} and presenting {@code clientCertificate}.
     *
     * @throws IllegalStateException if the TLS implementation cannot build the context
     */
    public static SslContext create(List<X509Certificate> trusted, Optional<ClientCertificate> clientCertificate,
                                    TlsProvider preference) {
        SslProvider provider = preference == TlsProvider.AUTO && OpenSsl.isAvailable()
                ? SslProvider.OPENSSL : SslProvider.JDK;
        LOG.debug("Using the {} TLS provider", provider);
        try {
            SslContextBuilder builder = SslContextBuilder.forClient()
                    .sslProvider(provider)
                    .trustManager(trusted.toArray(new X509Certificate[0]))
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
                    .endpointIdentificationAlgorithm("HTTPS");
            clientCertificate.ifPresent(c -> builder.keyManager(c.privateKey(),
                    c.chain().toArray(new X509Certificate[0])));
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot initialise TLS (" + provider + "): " + e.getMessage(), e);
        }
    }
}
