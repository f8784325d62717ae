package org.securebroker.server;

import java.util.Map;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.audit.AuditSettings;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.queue.EngineSettings;
import org.securebroker.store.Store;
import org.securebroker.store.StoreConfig;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.failure.StoreException;

/**
 * What the CLI's offline commands ({@code broker store repair}, {@code broker check}) open of a
 * stopped broker: its store and its audit log, configured as the broker configures them. Both
 * hold a lock while open, so they cannot be opened while the broker runs, and the broker cannot
 * start while a command holds them.
 *
 * <p>Thread-safety: stateless.
 */
public final class Offline {

    private Offline() {
    }

    /** The key-encryption keys of the configuration: the key file, or the environment variable it names. */
    public static Keyring keyring(BrokerConfig config, Map<String, String> environment) {
        return config.keys().fromEnvironment()
                ? KeyringFile.fromEnvironment(config.keys().kekEnv(), environment)
                : KeyringFile.load(config.keys().kekFile());
    }

    /** The store's settings as the broker uses them, without its signer, listener and retention. */
    static StoreConfig.Builder storeConfig(BrokerConfig config, BrokerContext context) {
        BrokerConfig.StoreSettings s = config.store();
        return StoreConfig.builder(config.storeDir(), context.clock(), context.random())
                .segmentBytes(s.segmentBytes())
                .maxRecordBytes(maxRecordBytes(config))
                .maxBatchBytes(maxBatchBytes(config))
                // what the store holds pending came in as publish frames, held by the in-flight budget until
                // stored; a commit round of room on top covers the envelopes' metadata and the broker's own
                // dead letters, so the in-flight budget, which slows producers, binds before this refusal
                .maxPendingBytes(memory(config).inFlightBytes() + maxBatchBytes(config))
                .subscriptionSyncInterval(s.subscriptionSyncInterval())
                .fileLayer(context.files());
    }

    /** The largest record: the largest payload with room for its headers and metadata. */
    static int maxRecordBytes(BrokerConfig config) {
        return config.queues().maxMessageBytes() + EngineSettings.MAX_METADATA_BYTES;
    }

    /** The memory budgets, those left to the heap size resolved against this JVM's heap. */
    static BrokerConfig.Memory memory(BrokerConfig config) {
        return config.memory().resolve(Runtime.getRuntime().maxMemory(), config.listener().maxFrameSize());
    }

    /** The store's largest group commit: the batch a failed fsync can leave unknown to producers. */
    static int maxBatchBytes(BrokerConfig config) {
        return Math.max(8 << 20, maxRecordBytes(config) * 2);
    }

    /**
     * Opens the store of a stopped broker. Opening runs the store's recovery, as the broker's next
     * start would (a torn tail is truncated, damaged records are quarantined, logs that do not add
     * up are reported unavailable); retention does not run.
     *
     * @throws IllegalStateException if the store cannot be opened, most often because the broker
     *     runs and holds it: the message says so
     * @throws StoreException for anything else the store refuses (a missing KEK, ...)
     */
    public static Store store(BrokerConfig config, BrokerContext context, Map<String, String> environment) {
        Keyring keyring = keyring(config, environment);
        try {
            return Store.open(storeConfig(config, context).build(), keyring);
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.UNAVAILABLE) {
                throw new IllegalStateException("the store in " + config.storeDir() + " cannot be opened: "
                        + e.getMessage() + ". If the broker is running, stop it first: this command works on a "
                        + "stopped broker's data", e);
            }
            throw e;
        }
    }

    /**
     * Opens the audit log of a stopped broker to append to it, signing checkpoints with the
     * configured audit key; closing it writes a final checkpoint, as the broker's stop does.
     *
     * @throws java.io.IOException if the audit key cannot be read
     * @throws org.securebroker.server.audit.AuditUnavailableException if the log cannot be opened
     *     (the broker holds it, or it cannot be continued)
     */
    public static AuditLog auditLog(BrokerConfig config, BrokerContext context) throws java.io.IOException {
        SigningKey key = AuditKeys.loadPrivate(config.audit().privateKey());
        return openAudit(config.audit(), key, context);
    }

    static AuditLog openAudit(BrokerConfig.Audit a, SigningKey key, BrokerContext context) {
        return AuditLog.open(AuditSettings.of(a.dir(), key)
                .withCheckpoints(a.checkpointEntries(), a.checkpointInterval())
                .withRotation(a.rotateBytes(), a.rotateAge()), context.clock());
    }
}
