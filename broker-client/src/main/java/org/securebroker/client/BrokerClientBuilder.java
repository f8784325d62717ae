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
import java.util.function.Supplier;
import org.securebroker.client.internal.auth.Authentication;
import org.securebroker.client.internal.auth.CertificateAuthentication;
import org.securebroker.client.internal.auth.PasswordAuthentication;
import org.securebroker.client.internal.auth.PasswordCredentials;
import org.securebroker.client.internal.auth.TokenAuthentication;
import org.securebroker.client.internal.auth.TokenSource;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.protocol.integrity.KeyPem;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.securebroker.protocol.integrity.SigningKey;

/**
 * Configures and connects a {@link BrokerClient}.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>Setting</th><th>Default</th></tr>
 *   <tr><td>{@link #address(String, int)}</td><td>required; several addresses are tried in turn</td></tr>
 *   <tr><td>{@link #trustedCertificates(Path...)}</td><td>required; only these CAs are trusted,
 *       never the system trust store</td></tr>
 *   <tr><td>{@link #credentials(String, char[])} or {@link #tokenSupplier(Supplier)}</td><td>exactly one
 *       is required, unless a client certificate alone authenticates (EXTERNAL)</td></tr>
 *   <tr><td>{@link #passwordMechanism(PasswordMechanism)}</td><td>{@link PasswordMechanism#AUTO}:
 *       SCRAM-SHA-256 when offered, else PLAIN</td></tr>
 *   <tr><td>{@link #clientCertificate(Path, Path)}</td><td>none</td></tr>
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
 * <p><b>Authentication.</b> The client authenticates with a password ({@link #credentials}, by
 * SCRAM-SHA-256 or PLAIN as {@link #passwordMechanism} says), with bearer tokens
 * ({@link #tokenSupplier}, mechanism JWT), or, when neither is set, with its TLS client
 * certificate alone ({@link #clientCertificate}, mechanism EXTERNAL). A client certificate is
 * presented in the TLS handshake whatever the mechanism.
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
    private PasswordMechanism passwordMechanism = PasswordMechanism.AUTO;
    private Supplier<String> tokenSupplier;
    private Path clientCertificateChain;
    private Path clientPrivateKey;
    private String clientId = DEFAULT_CLIENT_ID;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private int maxInFlightSends = DEFAULT_MAX_IN_FLIGHT_SENDS;
    private SendBufferPolicy sendBufferPolicy = SendBufferPolicy.FAIL;
    private ReconnectPolicy reconnectPolicy = ReconnectPolicy.defaultPolicy();
    private Executor callbackExecutor;
    private TlsProvider tlsProvider = TlsProvider.AUTO;
    private Path brokerKeysFile;
    private KeySet brokerKeys;
    private boolean verificationDisabled;
    private boolean verifyReceipts;
    private Path producerKeyFile;
    private SigningKey producerKey;

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
     * Authenticates with a username and password, by the mechanism that
     * {@link #passwordMechanism(PasswordMechanism)} allows (by default SCRAM-SHA-256 when the
     * broker offers it, else PLAIN).
     *
     * <p>The client copies {@code password}, so the caller may wipe its array right after
     * this call. {@link #connect()} hands the copy to the client, which keeps it, because it
     * must authenticate again on every reconnect, until the client is closed or gives up
     * reconnecting; then it overwrites it. A builder that has connected needs new credentials
     * before it can connect again. Cannot be combined with {@link #tokenSupplier}.
     *
     * @throws IllegalArgumentException if either is empty or contains a NUL character
     */
    public BrokerClientBuilder credentials(String username, char[] password) {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        PasswordCredentials.check(username, password);
        wipePassword();
        this.username = username;
        this.password = password.clone();
        return this;
    }

    /**
     * Which mechanism may carry the password of {@link #credentials}: {@link PasswordMechanism#AUTO}
     * (the default) uses SCRAM-SHA-256 when the broker offers it and PLAIN otherwise; an explicit
     * choice that the broker does not offer fails with {@code UNSUPPORTED_MECHANISM}.
     */
    public BrokerClientBuilder passwordMechanism(PasswordMechanism mechanism) {
        this.passwordMechanism = Objects.requireNonNull(mechanism, "mechanism");
        return this;
    }

    /**
     * Authenticates with bearer tokens (mechanism JWT): {@code supplier} returns a compact JWS
     * for every connection and every re-authentication. When the broker says the session
     * expires, the client asks for a fresh token once 80% of the remaining lifetime has passed
     * (at least 5 s before the expiry) and re-authenticates on the live connection; failures
     * are retried with back-off, and if the session ends anyway the client reconnects with a
     * fresh token.
     *
     * <p>The supplier is called on a client thread, never on the I/O thread, one call at a
     * time; it may block briefly (for example to ask an identity provider), since the connect
     * timeout covers it. Tokens are never logged. A supplier that throws or returns null or an
     * empty string fails that attempt (retriable). Cannot be combined with {@link #credentials}.
     */
    public BrokerClientBuilder tokenSupplier(Supplier<String> supplier) {
        this.tokenSupplier = Objects.requireNonNull(supplier, "supplier");
        return this;
    }

    /**
     * Presents this TLS client certificate when the broker asks for one (mutual TLS), whatever
     * the mechanism. Without {@link #credentials} or a {@link #tokenSupplier}, the client
     * authenticates with it alone (mechanism EXTERNAL: the broker maps the certificate to a
     * principal).
     *
     * @param certificateChainPem PEM certificates, the client's own first, then any
     *     intermediates
     * @param privateKeyPem the matching unencrypted PKCS#8 PEM private key ({@code BEGIN PRIVATE
     *     KEY}), EC or RSA. Both files are read when {@link #connect()} is called.
     */
    public BrokerClientBuilder clientCertificate(Path certificateChainPem, Path privateKeyPem) {
        this.clientCertificateChain = Objects.requireNonNull(certificateChainPem, "certificateChainPem");
        this.clientPrivateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
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
     * Pins the broker's message-signing public keys from a PEM file (the broker's
     * {@code tls/signing-keys.pem}: its current key and every retired one). Every delivered
     * message is verified against them before the handler sees it (and every receipt, with
     * {@link #verifyReceipts()}). A subscription cannot start without pinned keys unless
     * verification is turned off with {@link #withoutSignatureVerification()}.
     */
    public BrokerClientBuilder brokerSigningKeys(Path publicKeysPem) {
        this.brokerKeysFile = Objects.requireNonNull(publicKeysPem, "publicKeysPem");
        this.brokerKeys = null;
        return this;
    }

    /** Pins the broker's message-signing public keys; see {@link #brokerSigningKeys(Path)}. */
    public BrokerClientBuilder brokerSigningKeys(KeySet keys) {
        this.brokerKeys = Objects.requireNonNull(keys, "keys");
        this.brokerKeysFile = null;
        return this;
    }

    /**
     * Checks each send's receipt against the pinned broker keys and the message sent before the
     * send completes; one that does not verify fails the send with {@code VERIFICATION_FAILED}
     * (the message was stored, but the broker's proof of it is not valid). Without this, receipts
     * are handed over as they came, to keep and verify later ({@code Receipt},
     * {@code broker verify receipt}); checking costs a SHA-256 of each payload.
     */
    public BrokerClientBuilder verifyReceipts() {
        this.verifyReceipts = true;
        return this;
    }

    /**
     * Accepts deliveries and receipts without checking the broker's signatures. Messages
     * changed at rest or in transit then reach the application unnoticed; use it only where
     * another layer verifies them.
     */
    public BrokerClientBuilder withoutSignatureVerification() {
        this.verificationDisabled = true;
        return this;
    }

    /**
     * Signs every published message with this Ed25519 key (an unencrypted PKCS#8 PEM, as
     * {@code openssl genpkey -algorithm ed25519} writes), whose public half is registered for
     * the client's principal ({@code broker keys producer add}).
     */
    public BrokerClientBuilder producerSigningKey(Path privateKeyPem) {
        this.producerKeyFile = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
        this.producerKey = null;
        return this;
    }

    /** Signs every published message with {@code key}; see {@link #producerSigningKey(Path)}. */
    public BrokerClientBuilder producerSigningKey(SigningKey key) {
        this.producerKey = Objects.requireNonNull(key, "key");
        this.producerKeyFile = null;
        return this;
    }

    /**
     * Connects to the first reachable address and authenticates, trying each address once,
     * each within the connect timeout.
     *
     * @return the connected client
     * @throws IllegalStateException if the way to authenticate is ambiguous or missing: both
     *     {@link #credentials} and a {@link #tokenSupplier}, or neither and no
     *     {@link #clientCertificate}; the message names the conflict and lists every other
     *     problem too
     * @throws IllegalArgumentException if the configuration is otherwise incomplete or a
     *     certificate or key file cannot be used; the message lists every problem
     * @throws BrokerException if no address could be connected and authenticated; for example
     *     {@code AUTHENTICATION_FAILED} (not retriable), {@code UNSUPPORTED_MECHANISM} (not
     *     retriable), or {@code CONNECTION_LOST} for network and TLS failures, with the cause
     */
    public BrokerClient connect() {
        List<String> problems = new ArrayList<>();
        if (addresses.isEmpty()) {
            problems.add("address: at least one broker address is required");
        }
        List<X509Certificate> trusted = loadTrustedCertificates(problems);
        Optional<ClientCertificate> certificate = clientCertificateChain == null ? Optional.empty()
                : ClientCertificate.load(clientCertificateChain, clientPrivateKey, problems);
        String conflict = authenticationConflict();
        if (conflict != null) {
            problems.add(0, conflict);
        }
        ClientIntegrity integrity = integrity(problems);
        if (passwordMechanism != PasswordMechanism.AUTO && username == null) {
            problems.add("passwordMechanism: " + passwordMechanism + " is set, but no credentials(username, password)");
        }
        if (!problems.isEmpty()) {
            String message = "invalid broker client configuration: " + String.join("; ", problems);
            throw conflict != null ? new IllegalStateException(message) : new IllegalArgumentException(message);
        }
        ClientContext context = ClientContext.system();
        Authentication authentication;
        if (password != null) {
            authentication = new PasswordAuthentication(new PasswordCredentials(username, password),
                    mechanisms(passwordMechanism), context.random());
            password = null; // ownership passes to the client, which wipes it
        } else if (tokenSupplier != null) {
            authentication = new TokenAuthentication(new TokenSource(tokenSupplier));
        } else {
            authentication = new CertificateAuthentication();
        }
        ClientConfig config = new ClientConfig(addresses, trusted, authentication, certificate, clientId,
                connectTimeout, requestTimeout, maxInFlightSends, sendBufferPolicy,
                reconnectPolicy, Optional.ofNullable(callbackExecutor), tlsProvider, integrity, context);
        return ClientCore.connect(config);
    }

    private ClientIntegrity integrity(List<String> problems) {
        KeySet pinned = brokerKeys;
        if (brokerKeysFile != null) {
            try {
                pinned = KeyPem.readPublicKeys(brokerKeysFile);
            } catch (IOException e) {
                problems.add("brokerSigningKeys: cannot use " + brokerKeysFile + ": " + e.getMessage());
            }
        }
        if (pinned != null && pinned.isEmpty()) {
            problems.add("brokerSigningKeys: no key given");
            pinned = null;
        }
        if (pinned != null && verificationDisabled) {
            problems.add("brokerSigningKeys: keys are pinned and withoutSignatureVerification() is set; choose one");
            pinned = null;
        }
        SigningKey signing = producerKey;
        if (producerKeyFile != null) {
            try {
                signing = KeyPem.readPrivateKey(producerKeyFile);
            } catch (IOException e) {
                problems.add("producerSigningKey: cannot use " + producerKeyFile + ": " + e.getMessage());
            }
        }
        if (verifyReceipts && pinned == null) {
            problems.add("verifyReceipts: needs brokerSigningKeys(...) to verify against");
        }
        return new ClientIntegrity(Optional.ofNullable(pinned).map(MessageVerifier::new),
                verificationDisabled && pinned == null, Optional.ofNullable(signing), verifyReceipts && pinned != null);
    }

    /** The mechanisms {@code choice} allows, by their names on the wire, in order of preference. */
    private static List<String> mechanisms(PasswordMechanism choice) {
        return switch (choice) {
            case AUTO -> List.of(PasswordAuthentication.SCRAM, PasswordAuthentication.PLAIN);
            case SCRAM_SHA_256 -> List.of(PasswordAuthentication.SCRAM);
            case PLAIN -> List.of(PasswordAuthentication.PLAIN);
        };
    }

    /** What is wrong with the choice of how to authenticate, or null. */
    private String authenticationConflict() {
        if (username != null && password == null) {
            return "credentials: the password was handed to a client connected earlier;"
                    + " set credentials(username, password) again";
        }
        if (password != null && tokenSupplier != null) {
            return "credentials: both credentials(username, password) and tokenSupplier(...) are set;"
                    + " configure exactly one";
        }
        if (password == null && tokenSupplier == null && clientCertificateChain == null) {
            return "credentials: none configured; set credentials(username, password) or tokenSupplier(...),"
                    + " or clientCertificate(...) to authenticate with the certificate alone (EXTERNAL)";
        }
        return null;
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
