package org.securebroker.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The broker's configuration, validated ({@link ConfigLoader}) and immutable. Relative paths in
 * the file are resolved against the data directory.
 *
 * <p>Thread-safety: immutable.
 */
public record BrokerConfig(Path dataDir, Listener listener, Tls tls, Keys keys, StoreSettings store, Auth auth,
                           Queues queues, Authorization authorization, Audit audit, Admin admin, Alerts alerts,
                           Integrity integrity, Memory memory, Quotas quotas) {

    /**
     * The TLS listener for clients. There is no other kind.
     *
     * @param maxConnections authenticated connections, all principals together
     * @param maxUnauthenticatedConnections connections that have not authenticated yet (TLS
     *     handshake, HELLO, AUTH), all addresses together; kept apart from the authenticated
     *     slots, so a flood before login cannot lock out clients that log in
     * @param maxUnauthenticatedPerAddress of those, from one source address
     * @param maxInFlightPublishes messages one connection may have waiting for the disk before
     *     the broker stops reading from it
     * @param maxInFlightPublishBytes bytes of frames one connection may have being received or
     *     waiting for the disk before the broker stops reading from it
     * @param deliveryBufferBytes bytes of deliveries one connection may have on their way to the
     *     socket (the outbound buffer); deliveries to it pause above this
     * @param consumerWindowBytes bytes of unacknowledged deliveries one consumer may hold (the
     *     prefetch in bytes, beside its credit in messages); at least one message is always allowed
     */
    public record Listener(String host, int port, Duration handshakeTimeout, Duration authTimeout, int maxFrameSize,
                           int maxConnections, int maxUnauthenticatedConnections, int maxUnauthenticatedPerAddress,
                           int maxInFlightPublishes, long maxInFlightPublishBytes, long deliveryBufferBytes,
                           long consumerWindowBytes) {

        /** The same listener on another address. */
        public Listener withAddress(String newHost, int newPort) {
            return new Listener(newHost, newPort, handshakeTimeout, authTimeout, maxFrameSize, maxConnections,
                    maxUnauthenticatedConnections, maxUnauthenticatedPerAddress, maxInFlightPublishes,
                    maxInFlightPublishBytes, deliveryBufferBytes, consumerWindowBytes);
        }
    }

    /**
     * Memory the broker may spend, in bytes, all connections and queues together. A value of 0
     * means "derived from the heap" ({@link #resolve(long)}).
     *
     * @param inFlightBytes frames being received and publishes waiting for the disk; at the bound
     *     the broker stops reading from connections until stored messages free it
     * @param deliveryBytes deliveries on their way to consumers' sockets; at the bound deliveries
     *     pause until written ones free it
     * @param recentMessagesBytes recently stored messages kept decoded for consumers
     */
    public record Memory(long inFlightBytes, long deliveryBytes, long recentMessagesBytes) {

        /** The smallest budget the broker runs with: two of the largest frames. */
        public static long minimumFor(int maxFrameSize) {
            return 2L * maxFrameSize;
        }

        /**
         * The budgets for a heap of {@code maxHeap} bytes: each unset one is an eighth of the heap
         * (at least {@link #minimumFor} the frame size for the two budgets that hold frames).
         */
        public Memory resolve(long maxHeap, int maxFrameSize) {
            long eighth = Math.max(1, maxHeap / 8);
            long floor = minimumFor(maxFrameSize);
            return new Memory(inFlightBytes > 0 ? inFlightBytes : Math.max(floor, eighth),
                    deliveryBytes > 0 ? deliveryBytes : Math.max(floor, eighth),
                    recentMessagesBytes > 0 ? recentMessagesBytes : eighth);
        }
    }

    /**
     * Limits per principal. A limit of 0 is no limit.
     *
     * @param defaults what every principal gets
     * @param principals principals with limits of their own, by name (every limit given)
     */
    public record Quotas(PrincipalQuota defaults, java.util.Map<String, PrincipalQuota> principals) {
        public Quotas {
            principals = java.util.Map.copyOf(principals);
        }

        /** The limits of {@code principal}. */
        public PrincipalQuota of(String principal) {
            return principals.getOrDefault(principal, defaults);
        }
    }

    /**
     * One principal's limits; 0 is no limit.
     *
     * @param connections authenticated connections at once
     * @param queues queues it created that still exist
     * @param subscriptions durable subscriptions it created that still exist
     * @param consumers consumers attached at once
     * @param publishRate messages per second it may publish (all connections together)
     * @param publishByteRate payload bytes per second it may publish
     */
    public record PrincipalQuota(int connections, int queues, int subscriptions, int consumers, long publishRate,
                                 long publishByteRate) {
    }

    /**
     * @param clientAuth whether clients present certificates
     * @param clientCa the only CA client certificates may chain to (required unless clientAuth is NONE)
     * @param crl certificates on this revocation list are refused; null = no list
     * @param principalMapping how a certificate's identity becomes a principal, first match wins
     */
    public record Tls(Path certificate, Path privateKey, TlsProvider provider, ClientAuth clientAuth, Path clientCa,
                      Path crl, List<PrincipalRule> principalMapping) {
        public Tls {
            principalMapping = List.copyOf(principalMapping);
        }
    }

    /** Whether the listener asks for client certificates. */
    public enum ClientAuth {
        NONE, OPTIONAL, REQUIRED
    }

    /**
     * Maps a certificate to a principal: the regular expression must match the whole subject DN
     * (RFC 2253) or one subject alternative name of the kind, and its first group is the principal.
     */
    public record PrincipalRule(PrincipalSource source, java.util.regex.Pattern pattern) {
    }

    /** Which part of a certificate a rule looks at. */
    public enum PrincipalSource {
        SUBJECT, SAN_DNS, SAN_URI, SAN_EMAIL
    }

    /** Where the key-encryption keys come from: a key file or an environment variable. */
    public record Keys(Path kekFile, String kekEnv) {
        public boolean fromEnvironment() {
            return kekEnv != null;
        }
    }

    /**
     * @param retentionMaxAge null = no age limit
     * @param retentionMaxBytes 0 = no size limit
     */
    public record StoreSettings(int segmentBytes, Duration subscriptionSyncInterval, Duration retentionMaxAge,
                                long retentionMaxBytes) {
    }

    /**
     * @param scramIterations PBKDF2 iterations for new SCRAM-SHA-256 credentials
     *     ({@code auth.scram.iterations})
     * @param jwt JWT bearer tokens; null = the mechanism is not offered
     * @param scramEnabled whether SCRAM-SHA-256 is offered and its verifiers are stored at all
     *     ({@code auth.scram.enabled}); when off, only Argon2id hashes are kept
     */
    public record Auth(Path usersFile, PasswordHashing passwordHashing, int hashThreads, int hashQueue, int scramIterations,
                       Jwt jwt, BruteForce bruteForce, boolean scramEnabled) {

        /** The default PBKDF2 iteration count of new SCRAM verifiers: OWASP's figure for PBKDF2-HMAC-SHA256. */
        public static final int DEFAULT_SCRAM_ITERATIONS = 600_000;
        /** The fewest iterations new SCRAM verifiers may be configured with. */
        public static final int MIN_SCRAM_ITERATIONS = 100_000;

        /** SCRAM on. */
        public Auth(Path usersFile, PasswordHashing passwordHashing, int hashThreads, int hashQueue, int scramIterations,
                    Jwt jwt, BruteForce bruteForce) {
            this(usersFile, passwordHashing, hashThreads, hashQueue, scramIterations, jwt, bruteForce, true);
        }

        public Auth withJwt(Jwt value) {
            return new Auth(usersFile, passwordHashing, hashThreads, hashQueue, scramIterations, value, bruteForce,
                    scramEnabled);
        }
    }

    /**
     * JWT bearer tokens: only signed tokens from the configured issuer for the configured audience,
     * verified with configured keys looked up by {@code kid}.
     *
     * @param keys PEM public keys or HMAC secrets, by key id
     * @param jwks a JWKS file with more public keys; null = none
     * @param allowedTypes accepted {@code typ} header values (case-insensitive)
     * @param maxLifetime the longest a token may live ({@code exp - iat})
     * @param clockSkew tolerance for {@code exp} and {@code nbf}; at most 60 s
     * @param principalClaim the claim naming the principal
     * @param rolesClaim the claim listing roles or groups, whose values grant roles only through the
     *     policy's {@code tokenRoles}; null = none
     */
    public record Jwt(String issuer, String audience, List<JwtKey> keys, Path jwks, List<String> allowedTypes,
                      Duration maxLifetime, Duration clockSkew, String principalClaim, String rolesClaim) {

        /** The roles claim when the configuration names none, as in access tokens of RFC 9068. */
        public static final String DEFAULT_ROLES_CLAIM = "roles";

        public Jwt {
            keys = List.copyOf(keys);
            allowedTypes = List.copyOf(allowedTypes);
        }
    }

    /** A JWT verification key: a PEM public key file, or a file holding an HMAC secret. */
    public record JwtKey(String kid, Path publicKey, Path secret) {
    }

    /**
     * Back-off and lockout for failed logins, decided before any hash is computed.
     *
     * @param addressFailures failures from one address within 10 minutes before it must back off
     * @param accountFailures consecutive failures of one account from one address before back-off
     * @param maxBackoff the longest back-off
     * @param lockoutFailures consecutive failures of one account, from any address, that lock it
     * @param lockoutDuration how long a locked account stays locked
     */
    public record BruteForce(int addressFailures, int accountFailures, Duration maxBackoff, int lockoutFailures,
                             Duration lockoutDuration) {
    }

    /**
     * @param maxMessageBytes the largest payload of one message (headers are bounded apart)
     * @param depth the depth limits of every queue whose definition has none of its own
     */
    public record Queues(boolean autoCreate, Duration ackTimeout, int maxMessageBytes, int dedupWindow,
                         QueueDefinition.Depth depth, List<QueueDefinition> define, Duration subscriptionIdleExpiry,
                         Duration replayRetention) {
        /** A subscription without consumers is deleted after this long idle; zero: never. */
        public static final Duration DEFAULT_IDLE_EXPIRY = Duration.ofDays(7);

        public Queues {
            define = List.copyOf(define);
            subscriptionIdleExpiry = subscriptionIdleExpiry == null ? DEFAULT_IDLE_EXPIRY : subscriptionIdleExpiry;
            replayRetention = replayRetention == null ? Duration.ZERO : replayRetention;
        }

        public Queues(boolean autoCreate, Duration ackTimeout, int maxMessageBytes, int dedupWindow,
                      QueueDefinition.Depth depth, List<QueueDefinition> define) {
            this(autoCreate, ackTimeout, maxMessageBytes, dedupWindow, depth, define, null, null);
        }

        public Queues(boolean autoCreate, Duration ackTimeout, int maxMessageBytes, int dedupWindow,
                      List<QueueDefinition> define) {
            this(autoCreate, ackTimeout, maxMessageBytes, dedupWindow, QueueDefinition.Depth.DEFAULT, define);
        }
    }

    /**
     * Who may do what.
     *
     * @param policyFile the RBAC policy (YAML); it is reloaded when it changes, and a broken file
     *     is refused while the policy in force stays
     * @param disabledForBenchmarks no authorization and no audit log: every authenticated client
     *     may do everything, unrecorded. Only for measuring their cost; the broker warns loudly
     */
    public record Authorization(Path policyFile, boolean disabledForBenchmarks) {
    }

    /**
     * The audit log: every authentication, authorization decision and administrative change,
     * hash-chained and signed at checkpoints.
     *
     * @param dir where the log files are written
     * @param privateKey the Ed25519 key that signs checkpoints (used for nothing else)
     * @param publicKey its public half, for auditors
     * @param checkpointEntries a signed checkpoint after at most this many entries...
     * @param checkpointInterval ...or after this long, whichever comes first
     * @param rotateBytes a file is closed (with a checkpoint) and a new one started at this size...
     * @param rotateAge ...or at this age
     * @param allowAggregation repeated allows of one principal, connection, action and resource
     *     are written once with a count at most this long after the first
     */
    public record Audit(Path dir, Path privateKey, Path publicKey, int checkpointEntries, Duration checkpointInterval,
                        long rotateBytes, Duration rotateAge, Duration allowAggregation) {
    }

    /**
     * The admin listener: {@code /livez}, {@code /readyz} and {@code /metrics} over HTTPS.
     *
     * @param enabled whether it listens at all
     * @param perQueueMetrics one depth series per queue besides the totals
     * @param metricsAuthentication whether {@code /metrics} asks who is scraping
     *     ({@code admin.metricsAuthentication})
     */
    public record Admin(boolean enabled, String host, int port, boolean perQueueMetrics,
                        MetricsAuthentication metricsAuthentication) {

        /** {@code /metrics} behind authentication. */
        public Admin(boolean enabled, String host, int port, boolean perQueueMetrics) {
            this(enabled, host, port, perQueueMetrics, MetricsAuthentication.REQUIRED);
        }
    }

    /** Who may read {@code /metrics}. */
    public enum MetricsAuthentication {
        /**
         * A client certificate (when the TLS listeners ask for one) or HTTP Basic with a user of the
         * users file, whose principal holds {@code read-metrics} on {@code metrics} or
         * {@code admin} on {@code broker}.
         */
        REQUIRED,
        /** Anyone who reaches the admin listener; the broker warns at start. */
        NONE
    }

    /**
     * When traffic raises an alert (audited, logged and counted). A count of 0 turns that alert off.
     *
     * @param window the span bursts are counted in, and the least time between two equal alerts
     * @param authFailures failed logins of one principal, or from one address, within the window
     * @param denials denied commands of one principal within the window
     * @param malformedFrames frames rejected from one address within the window
     * @param newSourceAddress alert when a principal authenticates from an address it has not
     *     used since the broker started
     * @param rateFactor alert when a principal publishes or consumes this many times its recent
     *     rate (0 = off)
     * @param rateMinimum ...and at least this many messages per second
     */
    public record Alerts(java.time.Duration window, int authFailures, int denials, int malformedFrames,
                         boolean newSourceAddress, int rateFactor, int rateMinimum) {
    }

    /**
     * Message signatures: the broker signs every stored message and every receipt, and checks
     * producers' signatures against their registered keys.
     *
     * @param privateKey the broker's Ed25519 message-signing key (used for nothing else)
     * @param publicKeys the public halves of the current and every retired signing key, current
     *     first: what consumers pin
     * @param producerKeys the public keys registered per producer principal
     * @param disabledForBenchmarks messages are stored and delivered unsigned, receipts are
     *     empty; only for measuring the cost of signing. The broker warns loudly
     */
    public record Integrity(Path privateKey, Path publicKeys, Path producerKeys, boolean disabledForBenchmarks) {
    }

    public BrokerConfig withListener(Listener value) {
        return new BrokerConfig(dataDir, value, tls, keys, store, auth, queues, authorization, audit, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withTls(Tls value) {
        return new BrokerConfig(dataDir, listener, value, keys, store, auth, queues, authorization, audit, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withAuth(Auth value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, value, queues, authorization, audit, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withQueues(Queues value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, value, authorization, audit, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withStore(StoreSettings value) {
        return new BrokerConfig(dataDir, listener, tls, keys, value, auth, queues, authorization, audit, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withAuthorization(Authorization value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, queues, value, audit, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withAdmin(Admin value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, queues, authorization, audit, value, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withKeys(Keys value) {
        return new BrokerConfig(dataDir, listener, tls, value, store, auth, queues, authorization, audit, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withAlerts(Alerts value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, queues, authorization, audit, admin, value, integrity, memory, quotas);
    }

    public BrokerConfig withIntegrity(Integrity value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, queues, authorization, audit, admin, alerts,
                value, memory, quotas);
    }

    public BrokerConfig withAudit(Audit value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, queues, authorization, value, admin, alerts, integrity, memory, quotas);
    }

    public BrokerConfig withMemory(Memory value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, queues, authorization, audit, admin, alerts,
                integrity, value, quotas);
    }

    public BrokerConfig withQuotas(Quotas value) {
        return new BrokerConfig(dataDir, listener, tls, keys, store, auth, queues, authorization, audit, admin, alerts,
                integrity, memory, value);
    }

    /** The store's own directory. */
    public Path storeDir() {
        return dataDir.resolve("store");
    }

    /** The queue catalog. */
    public Path queueCatalog() {
        return dataDir.resolve("queues.json");
    }

    /** Conventional locations of what {@code broker init} creates. */
    public static final class Layout {
        public static final String TLS_DIR = "tls";
        public static final String SECRETS_DIR = "secrets";
        public static final String KEK_FILE = "secrets/kek.keys";
        public static final String ADMIN_PASSWORD_FILE = "secrets/admin.password";
        public static final String USERS_FILE = "users.json";
        public static final String SERVER_CERT = "tls/server.crt";
        public static final String SERVER_KEY = "tls/server.key";
        public static final String CLIENT_CERT = "tls/client.crt";
        public static final String CLIENT_KEY = "tls/client.key";
        public static final String CA_CERT = "tls/ca.crt";
        public static final String JWT_DEV_PUBLIC_KEY = "tls/jwt-dev.pub";
        public static final String JWT_DEV_PRIVATE_KEY = "secrets/jwt-dev.key";
        public static final String AUTH_SECRET = "secrets/auth.key";
        /** The authorization policy 'broker init' writes. */
        public static final String POLICY_FILE = "policy.yaml";
        /** The audit log's files ({@code audit-NNNNNN.jsonl}). */
        public static final String AUDIT_DIR = "audit";
        /** The Ed25519 key that signs audit checkpoints; no other key signs them. */
        public static final String AUDIT_PRIVATE_KEY = "secrets/audit.key";
        /** Its public half, for auditors ({@code broker audit verify --key}). */
        public static final String AUDIT_PUBLIC_KEY = "tls/audit.pub";
        /** The Ed25519 key that signs messages and receipts; no other key signs them. */
        public static final String SIGNING_PRIVATE_KEY = "secrets/signing.key";
        /** The public halves of the current and retired message-signing keys, for consumers to pin. */
        public static final String SIGNING_PUBLIC_KEYS = "tls/signing-keys.pem";
        /** Producers' registered public keys ({@code broker keys producer}). */
        public static final String PRODUCER_KEYS = "producer-keys.txt";

        private Layout() {
        }
    }
}
