package org.securebroker.server;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.integrity.SigningKeyFiles;
import org.securebroker.server.config.BrokerConfig.Layout;
import org.securebroker.server.tls.LocalCa;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.PrivateDirectories;

/**
 * {@code broker init}: lays out a fresh data directory with everything a first run needs, all
 * generated on this machine: a local CA, a server certificate for this host's names, a client
 * certificate, a development token-signing key, a key-encryption key file, and an {@code admin}
 * user whose random password is written to a file only its owner can read. Nothing has a default
 * value an attacker could know.
 *
 * <p>Thread-safety: stateless.
 */
public final class Bootstrap {

    /** What was created, for the operator. */
    public record Result(Path dataDir, List<String> created, Path adminPasswordFile) {
        public Result {
            created = List.copyOf(created);
        }
    }

    private Bootstrap() {
    }

    /** Whether {@code dataDir} was already initialized. */
    public static boolean isInitialized(Path dataDir) {
        return Files.exists(dataDir.resolve(Layout.USERS_FILE)) || Files.exists(dataDir.resolve(Layout.KEK_FILE));
    }

    /**
     * Initializes with the admin's SCRAM verifier at the default iteration count.
     *
     * @throws IllegalStateException if the directory was initialized before (nothing is overwritten)
     */
    public static Result init(Path dataDir, Argon2id hashing, SecureRandom random, Clock clock) throws IOException {
        return init(dataDir, hashing, BrokerConfig.Auth.DEFAULT_SCRAM_ITERATIONS, random, clock);
    }

    /**
     * @throws IllegalStateException if the directory was initialized before (nothing is overwritten)
     */
    public static Result init(Path dataDir, Argon2id hashing, int scramIterations, SecureRandom random, Clock clock)
            throws IOException {
        if (isInitialized(dataDir)) {
            throw new IllegalStateException(dataDir + " is initialized already (it has " + Layout.USERS_FILE + " or "
                    + Layout.KEK_FILE + "); nothing was changed");
        }
        List<String> created = new ArrayList<>();
        PrivateDirectories.create(dataDir);
        PrivateDirectories.create(dataDir.resolve(Layout.SECRETS_DIR));
        PrivateDirectories.create(dataDir.resolve(Layout.TLS_DIR));

        Path tls = dataDir.resolve(Layout.TLS_DIR);
        LocalCa ca = LocalCa.create(tls, "securebroker local CA " + clock.instant().toString().substring(0, 10),
                Duration.ofDays(3650), random, clock);
        created.add(tls.resolve(LocalCa.CA_CERT) + "  local CA certificate (give it to clients to trust)");
        created.add(tls.resolve(LocalCa.CA_KEY) + "  local CA private key (0600; keep it offline in production)");
        Set<String> dns = new LinkedHashSet<>(List.of("localhost"));
        try {
            dns.add(InetAddress.getLocalHost().getHostName());
        } catch (IOException ignored) {
            // a host without a resolvable name still gets localhost
        }
        ca.issueServer("securebroker", new ArrayList<>(dns), List.of("127.0.0.1", "::1"), Duration.ofDays(397),
                dataDir.resolve(Layout.SERVER_CERT), dataDir.resolve(Layout.SERVER_KEY));
        created.add(dataDir.resolve(Layout.SERVER_CERT) + "  server certificate for " + dns + ", 127.0.0.1, ::1");
        created.add(dataDir.resolve(Layout.SERVER_KEY) + "  server private key (0600)");
        ca.issueClient("admin", Duration.ofDays(397), dataDir.resolve(Layout.CLIENT_CERT), dataDir.resolve(Layout.CLIENT_KEY));
        created.add(dataDir.resolve(Layout.CLIENT_CERT) + "  client certificate for 'admin' (for mutual TLS)");
        DevTokens.createKeyPair(dataDir.resolve(Layout.JWT_DEV_PUBLIC_KEY), dataDir.resolve(Layout.JWT_DEV_PRIVATE_KEY),
                random);
        created.add(dataDir.resolve(Layout.JWT_DEV_PUBLIC_KEY) + "  development token-signing public key (Ed25519; the "
                + "embedded defaults trust it for JWT login)");
        created.add(dataDir.resolve(Layout.JWT_DEV_PRIVATE_KEY) + "  development token-signing private key (0600; for "
                + "'broker token mint', a development aid)");

        String auditKey = AuditKeys.create(dataDir.resolve(Layout.AUDIT_PUBLIC_KEY), dataDir.resolve(Layout.AUDIT_PRIVATE_KEY),
                random);
        created.add(dataDir.resolve(Layout.AUDIT_PUBLIC_KEY) + "  audit checkpoint public key (Ed25519, key id " + auditKey
                + "; give it to auditors for 'broker audit verify')");
        created.add(dataDir.resolve(Layout.AUDIT_PRIVATE_KEY) + "  audit checkpoint signing key (0600; used for nothing else)");
        String signingKey = SigningKeyFiles.create(dataDir.resolve(Layout.SIGNING_PRIVATE_KEY),
                dataDir.resolve(Layout.SIGNING_PUBLIC_KEYS), random);
        created.add(dataDir.resolve(Layout.SIGNING_PUBLIC_KEYS) + "  message-signing public keys (Ed25519, key id "
                + signingKey + "; consumers pin this file to verify messages and receipts)");
        created.add(dataDir.resolve(Layout.SIGNING_PRIVATE_KEY) + "  message-signing key (0600; used for nothing else)");
        AtomicFiles.write(DefaultFileLayer.INSTANCE, dataDir.resolve(Layout.POLICY_FILE),
                ByteBuffer.wrap(DEFAULT_POLICY.getBytes(StandardCharsets.UTF_8)));
        created.add(dataDir.resolve(Layout.POLICY_FILE) + "  authorization policy: the 'admin' role may do everything, "
                + "nothing else is allowed (deny by default)");

        KeyringFile.create(DefaultFileLayer.INSTANCE, dataDir.resolve(Layout.KEK_FILE), random, clock);
        created.add(dataDir.resolve(Layout.KEK_FILE) + "  key-encryption key (0600; back it up apart from the data)");

        char[] password = randomPassword(random);
        Path passwordFile = dataDir.resolve(Layout.ADMIN_PASSWORD_FILE);
        byte[] passwordBytes = new String(password).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(DefaultFileLayer.INSTANCE, passwordFile, ByteBuffer.wrap(passwordBytes));
        java.util.Arrays.fill(passwordBytes, (byte) 0);
        UserStore.create(dataDir.resolve(Layout.USERS_FILE), List.of(User.of("admin",
                PasswordSecrets.derive(password, hashing, scramIterations, random), List.of("admin"), clock.instant())));
        java.util.Arrays.fill(password, '\0');
        created.add(dataDir.resolve(Layout.USERS_FILE) + "  users, with 'admin' (Argon2id hash and SCRAM-SHA-256 keys)");
        created.add(passwordFile + "  the admin password (0600)");
        return new Result(dataDir, created, passwordFile);
    }

    /** The policy a new data directory starts with: {@link org.securebroker.server.rbac.Policy#defaults()}, commented. */
    static final String DEFAULT_POLICY = """
            # Who may do what (RBAC). Deny by default: a principal may do only what one of its roles
            # allows, and a deny in any of its roles beats every allow. The broker reloads this file
            # within a second of a change; a broken file is refused and the policy in force stays.
            # Check a change first with:  broker rbac check --policy policy.yaml
            # Every option, with examples: conf/policy.yaml in the distribution.
            roles:
              admin:
                allow:
                  - actions: ["*"]
                    resources: ["*"]
            # Roles also come from the users file ('broker user add NAME --role ROLE'), from a JWT's
            # roles claim (only the values tokenRoles maps grant roles) and from certificates.
            # principals:
            #   alice: [orders-producer]
            # tokenRoles:
            #   idp-orders-writers: [orders-producer]
            # certificates:
            #   svc-billing: [orders-consumer]
            """;

    /** 24 random bytes, base64url: 192 bits. */
    static char[] randomPassword(SecureRandom random) {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).toCharArray();
    }

    /** The configuration a bootstrap data directory is used with when no file is given. */
    public static BrokerConfig defaultConfig(Path dataDir) {
        return org.securebroker.server.config.ConfigLoader.defaults(dataDir);
    }
}
