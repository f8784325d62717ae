package org.securebroker.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.queue.QueueDefinition;
import org.securebroker.server.tls.ServerTls;

/**
 * The broker's configuration, validated ({@link ConfigLoader}) and immutable. Relative paths in
 * the file are resolved against the data directory.
 *
 * <p>Thread-safety: immutable.
 */
public record BrokerConfig(Path dataDir, Listener listener, Tls tls, Keys keys, StoreSettings store, Auth auth,
                           Queues queues) {

    /** The TLS listener for clients. There is no other kind. */
    public record Listener(String host, int port, Duration handshakeTimeout, Duration authTimeout, int maxFrameSize,
                           int maxConnections, int maxInFlightPublishes) {
    }

    public record Tls(Path certificate, Path privateKey, ServerTls.Provider provider) {
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

    public record Auth(Path usersFile, Argon2id passwordHashing, int hashThreads, int hashQueue) {
    }

    public record Queues(boolean autoCreate, Duration ackTimeout, int maxMessageBytes, int dedupWindow,
                         List<QueueDefinition> define) {
        public Queues {
            define = List.copyOf(define);
        }
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

        private Layout() {
        }
    }
}
