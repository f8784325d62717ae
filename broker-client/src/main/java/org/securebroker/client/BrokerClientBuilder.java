package org.securebroker.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.securebroker.client.internal.BrokerAddress;
import org.securebroker.client.internal.ClientConfig;
import org.securebroker.client.internal.ClientCore;
import org.securebroker.client.internal.PlainCredentials;
import org.securebroker.client.internal.TlsProvider;
import org.securebroker.client.internal.WireSizes;

/**
 * Configures and connects a {@link BrokerClient}.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>Setting</th><th>Default</th></tr>
 *   <tr><td>{@link #address(String, int)}</td><td>required; several addresses are tried in turn</td></tr>
 *   <tr><td>{@link #trustedCertificates(Path...)}</td><td>required; only these CAs are trusted,
 *       never the system trust store</td></tr>
 *   <tr><td>{@link #credentials(String, char[])}</td><td>required (PLAIN over TLS)</td></tr>
 *   <tr><td>{@link #clientId(String)}</td><td>{@value #DEFAULT_CLIENT_ID}</td></tr>
 *   <tr><td>{@link #connectTimeout(Duration)}</td><td>10 s per attempt (TCP, TLS, HELLO and AUTH)</td></tr>
 *   <tr><td>{@link #requestTimeout(Duration)}</td><td>30 s</td></tr>
 *   <tr><td>{@link #maxInFlightSends(int)}</td><td>{@value #DEFAULT_MAX_IN_FLIGHT_SENDS}</td></tr>
 *   <tr><td>{@link #whenSendBufferFull(SendBufferPolicy)}</td><td>{@link SendBufferPolicy#FAIL}</td></tr>
 *   <tr><td>{@link #reconnect(ReconnectPolicy)}</td><td>{@link ReconnectPolicy#defaultPolicy()}</td></tr>
 *   <tr><td>{@link #callbackExecutor(Executor)}</td><td>a dedicated thread per subscription</td></tr>
 * </table>
 *
 * <p>Server certificates are always verified against the trusted CAs, and the host name (or IP
 * address) given in {@link #address} must match the certificate; there is no option to turn
 * either off.
 *
 * <p>Thread-safety: not thread-safe; configure and connect from one thread.
 */
public final class BrokerClientBuilder {

    /** Client id sent in HELLO unless set. */
    public static final String DEFAULT_CLIENT_ID = "securebroker-java-client";
    /** Bound on unacknowledged publishes unless set. */
    public static final int DEFAULT_MAX_IN_FLIGHT_SENDS = 1024;

    private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_PORT = 0xFFFF;

    private final List<BrokerAddress> addresses = new ArrayList<>();
    private final List<Path> trustedCertificateFiles = new ArrayList<>();
    private String username;
    private char[] password;
    private String clientId = DEFAULT_CLIENT_ID;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private int maxInFlightSends = DEFAULT_MAX_IN_FLIGHT_SENDS;
    private SendBufferPolicy sendBufferPolicy = SendBufferPolicy.FAIL;
    private ReconnectPolicy reconnectPolicy = ReconnectPolicy.defaultPolicy();
    private Executor callbackExecutor;
    private TlsProvider tlsProvider = TlsProvider.AUTO;

    BrokerClientBuilder() {
    }

    /**
     * Adds a broker address. The host name (or IP literal) is also the name the server
     * certificate must carry, and is sent as TLS SNI.
     *
     * @throws IllegalArgumentException if the host is blank or the port is not in 1..65535
     */
    public BrokerClientBuilder address(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("address: host must not be blank");
        }
        if (port < 1 || port > MAX_PORT) {
            throw new IllegalArgumentException("address: port must be in 1..65535, got " + port);
        }
        addresses.add(new BrokerAddress(host, port));
        return this;
    }

    /**
     * Trusts the CA certificates in these PEM files, and only them. Read when {@link #connect()}
     * is called.
     */
    public BrokerClientBuilder trustedCertificates(Path... caPemFiles) {
        Objects.requireNonNull(caPemFiles, "caPemFiles");
        for (Path p : caPemFiles) {
            trustedCertificateFiles.add(Objects.requireNonNull(p, "caPemFile"));
        }
        return this;
    }

    /**
     * Authenticates with PLAIN (RFC 4616) over TLS.
     *
     * <p>The client copies {@code password}, so the caller may wipe its array right after
     * this call. {@link #connect()} hands the copy to the client, which keeps it, because it
     * must authenticate again on every reconnect, until the client is closed or gives up
     * reconnecting; then it overwrites it. A builder that has connected needs new credentials
     * before it can connect again.
     *
     * @throws IllegalArgumentException if either is empty or contains a NUL character
     */
    public BrokerClientBuilder credentials(String username, char[] password) {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        PlainCredentials.check(username, password);
        wipePassword();
        this.username = username;
        this.password = password.clone();
        return this;
    }

    /** Identifies this client software in the broker's logs (sent in HELLO). */
    public BrokerClientBuilder clientId(String clientId) {
        Objects.requireNonNull(clientId, "clientId");
        WireSizes.checkString("clientId", clientId);
        this.clientId = clientId;
        return this;
    }

    /** Time allowed for each connection attempt, from TCP connect to AUTH_OK. */
    public BrokerClientBuilder connectTimeout(Duration connectTimeout) {
        this.connectTimeout = positive("connectTimeout", connectTimeout);
        return this;
    }

    /** Time allowed for the broker to answer a request (and to acknowledge a publish). */
    public BrokerClientBuilder requestTimeout(Duration requestTimeout) {
        this.requestTimeout = positive("requestTimeout", requestTimeout);
        return this;
    }

    /**
     * Most publishes waiting for the broker's acknowledgement (queued or on the wire).
     *
     * @throws IllegalArgumentException if less than 1
     */
    public BrokerClientBuilder maxInFlightSends(int maxInFlightSends) {
        if (maxInFlightSends < 1) {
            throw new IllegalArgumentException("maxInFlightSends must be at least 1, got " + maxInFlightSends);
        }
        this.maxInFlightSends = maxInFlightSends;
        return this;
    }

    /** What {@link BrokerClient#sendAsync} does when {@code maxInFlightSends} is reached. */
    public BrokerClientBuilder whenSendBufferFull(SendBufferPolicy policy) {
        this.sendBufferPolicy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /** How to reconnect after the connection was lost. */
    public BrokerClientBuilder reconnect(ReconnectPolicy policy) {
        this.reconnectPolicy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * Runs message handlers on {@code executor} instead of a dedicated thread per subscription.
     * Calls for one subscription are still serialised and in order. The client never shuts it
     * down.
     */
    public BrokerClientBuilder callbackExecutor(Executor executor) {
        this.callbackExecutor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /** Test hook: which TLS implementation to use. */
    BrokerClientBuilder tlsProvider(TlsProvider provider) {
        this.tlsProvider = Objects.requireNonNull(provider, "provider");
        return this;
    }

    /**
     * Connects to the first reachable address and authenticates, trying each address once,
     * each within the connect timeout.
     *
     * @return the connected client
     * @throws IllegalArgumentException if the configuration is incomplete or a certificate file
     *     cannot be read; the message lists every problem
     * @throws BrokerException if no address could be connected and authenticated; for example
     *     {@code AUTHENTICATION_FAILED} (not retriable), or {@code CONNECTION_LOST} for network
     *     and TLS failures, with the cause
     */
    public BrokerClient connect() {
        List<String> problems = new ArrayList<>();
        if (addresses.isEmpty()) {
            problems.add("address: at least one broker address is required");
        }
        List<X509Certificate> trusted = loadTrustedCertificates(problems);
        if (username == null || password == null) {
            problems.add("credentials: a username and password are required");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid broker client configuration: "
                    + String.join("; ", problems));
        }
        PlainCredentials credentials = new PlainCredentials(username, password);
        password = null; // ownership passes to the client, which wipes it
        ClientConfig config = new ClientConfig(addresses, trusted, credentials, clientId,
                connectTimeout, requestTimeout, maxInFlightSends, sendBufferPolicy,
                reconnectPolicy, Optional.ofNullable(callbackExecutor), tlsProvider);
        return ClientCore.connect(config);
    }

    private List<X509Certificate> loadTrustedCertificates(List<String> problems) {
        if (trustedCertificateFiles.isEmpty()) {
            problems.add("trustedCertificates: at least one CA certificate file (PEM) is required;"
                    + " the system trust store is never used");
            return List.of();
        }
        List<X509Certificate> result = new ArrayList<>();
        for (Path file : trustedCertificateFiles) {
            try (InputStream in = Files.newInputStream(file)) {
                Collection<? extends Certificate> certs =
                        CertificateFactory.getInstance("X.509").generateCertificates(in);
                if (certs.isEmpty()) {
                    problems.add("trustedCertificates: " + file + " contains no certificate");
                }
                for (Certificate c : certs) {
                    result.add((X509Certificate) c);
                }
            } catch (IOException | CertificateException e) {
                problems.add("trustedCertificates: cannot read " + file + ": " + e.getMessage());
            }
        }
        return result;
    }

    private void wipePassword() {
        if (password != null) {
            Arrays.fill(password, '\0');
            password = null;
        }
    }

    private static Duration positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }
}
