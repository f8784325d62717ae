package org.securebroker.client.internal;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.client.SendBufferPolicy;

/**
 * The validated settings of one client, built by {@code BrokerClientBuilder}.
 *
 * <p>Thread-safety: immutable except for the credentials, which the client wipes when it no
 * longer needs them.
 *
 * @param addresses broker endpoints, tried in turn
 * @param trustedCertificates the only CA certificates trusted for the server's certificate
 * @param credentials PLAIN username and password (owned by the client from now on)
 * @param clientId sent in HELLO
 * @param connectTimeout per connection attempt, TCP connect to AUTH_OK
 * @param requestTimeout per request, and per publish from sendAsync to acknowledgement
 * @param maxInFlightSends most unacknowledged publishes
 * @param sendBufferPolicy what sendAsync does when that bound is reached
 * @param reconnectPolicy delays between reconnect attempts
 * @param callbackExecutor default executor for message handlers; empty = a thread per subscription
 * @param tlsProvider which TLS implementation to use
 */
public record ClientConfig(List<BrokerAddress> addresses, List<X509Certificate> trustedCertificates,
                           PlainCredentials credentials, String clientId, Duration connectTimeout,
                           Duration requestTimeout, int maxInFlightSends,
                           SendBufferPolicy sendBufferPolicy, ReconnectPolicy reconnectPolicy,
                           Optional<Executor> callbackExecutor, TlsProvider tlsProvider) {

    public ClientConfig {
        addresses = List.copyOf(addresses);
        trustedCertificates = List.copyOf(trustedCertificates);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("at least one address is required");
        }
        if (trustedCertificates.isEmpty()) {
            throw new IllegalArgumentException("at least one trusted certificate is required");
        }
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (maxInFlightSends < 1) {
            throw new IllegalArgumentException("maxInFlightSends must be at least 1");
        }
        Objects.requireNonNull(sendBufferPolicy, "sendBufferPolicy");
        Objects.requireNonNull(reconnectPolicy, "reconnectPolicy");
        Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        Objects.requireNonNull(tlsProvider, "tlsProvider");
    }
}
