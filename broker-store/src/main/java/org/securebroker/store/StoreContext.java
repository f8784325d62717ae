package org.securebroker.store;

import java.nio.file.Path;
import org.securebroker.store.crypto.KeyWrapper;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.RecordCipher;
import org.securebroker.store.subscription.SubscriptionStore;

/**
 * What the parts of one open store share: configuration, directories, the keyring and the
 * commit loop.
 *
 * <p>Thread-safety: thread-safe; the keyring is replaced atomically.
 */
final class StoreContext {

    final StoreConfig config;
    final Path logsDir;
    final Path keysDir;
    final Path trashDir;
    final KeyWrapper wrapper;
    private volatile Keyring keyring;
    private final ThreadLocal<RecordCipher> readCiphers = ThreadLocal.withInitial(RecordCipher::new);
    /**
     * Whether logs written by an earlier version (version-1 key files) are accepted: only while
     * the store is being upgraded (no state file yet, or the state marks the upgrade unfinished).
     */
    volatile boolean upgrading;
    CommitLoop commitLoop;
    SubscriptionStore subscriptionStore;

    StoreContext(StoreConfig config, Keyring keyring) {
        this.config = config;
        this.keyring = keyring;
        this.logsDir = config.directory().resolve("logs");
        this.keysDir = config.directory().resolve("keys");
        this.trashDir = config.directory().resolve("trash");
        this.wrapper = new KeyWrapper(config.random());
    }

    Keyring keyring() {
        return keyring;
    }

    void keyring(Keyring keyring) {
        this.keyring = keyring;
    }

    RecordCipher readCipher() {
        return readCiphers.get();
    }
}
