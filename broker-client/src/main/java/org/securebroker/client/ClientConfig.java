package org.securebroker.client;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.securebroker.client.internal.auth.Authentication;
import org.securebroker.client.internal.auth.CertificateAuthentication;

/**
 * The validated settings of one client, built by {@code BrokerClientBuilder}.
 *
 * <p>Thread-safety: immutable except for the password, which the client wipes when it no
 * longer needs it.
 *
 * @param addresses broker endpoints, tried in turn
 * @param trustedCertificates the only CA certificates trusted for the server's certificate
 * @param authentication how the client authenticates (a password is owned by the client from now on)
 * @param clientCertificate the TLS client certificate, presented when the broker asks for one
 * @param clientId sent in HELLO
 * @param connectTimeout per connection attempt, TCP connect to AUTH_OK
 * @param requestTimeout per request, and per publish from sendAsync to acknowledgement
 * @param maxInFlightSends most unacknowledged publishes
 * @param sendBufferPolicy what sendAsync does when that bound is reached
 * @param reconnectPolicy delays between reconnect attempts
 * @param callbackExecutor default executor for message handlers; empty = a thread per subscription
 * @param tlsProvider which TLS implementation to use
 * @param context the clock and random source the client uses
 */
record ClientConfig(List<BrokerAddress> addresses, List<X509Certificate> trustedCertificates,
                           Authentication authentication, Optional<ClientCertificate> clientCertificate,
                           String clientId, Duration connectTimeout,
                           Duration requestTimeout, int maxInFlightSends,
                           SendBufferPolicy sendBufferPolicy, ReconnectPolicy reconnectPolicy,
                           Optional<Executor> callbackExecutor, TlsProvider tlsProvider,
                           ClientIntegrity integrity, ClientContext context) {

    public ClientConfig {
        addresses = List.copyOf(addresses);
        trustedCertificates = List.copyOf(trustedCertificates);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("at least one address is required");
        }
        if (trustedCertificates.isEmpty()) {
            throw new IllegalArgumentException("at least one trusted certificate is required");
        }
        Objects.requireNonNull(authentication, "authentication");
        Objects.requireNonNull(clientCertificate, "clientCertificate");
        if (authentication instanceof CertificateAuthentication && clientCertificate.isEmpty()) {
            throw new IllegalArgumentException("EXTERNAL authentication needs a client certificate");
        }
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (maxInFlightSends < 1) {
            throw new IllegalArgumentException("maxInFlightSends must be at least 1");
        }
        Objects.requireNonNull(sendBufferPolicy, "sendBufferPolicy");
        Objects.requireNonNull(integrity, "integrity");
        Objects.requireNonNull(reconnectPolicy, "reconnectPolicy");
        Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        Objects.requireNonNull(tlsProvider, "tlsProvider");
    }
}
