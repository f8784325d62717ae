package org.securebroker.server.integrity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.function.Consumer;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.config.BrokerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of message integrity while the broker runs: the signing key (switched on a reload
 * after {@code broker keys rotate signing}) and the producer keys (picked up when their file
 * changes, or on a reload). A key or file that cannot be used is refused and the one in force
 * stays.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class IntegrityKeys {

    private static final Logger LOG = LoggerFactory.getLogger(IntegrityKeys.class);

    /** What a reload changed. */
    public record Change(String previousId, String newId) {
    }

    private final BrokerConfig.Integrity config;
    private final Consumer<SigningKey> signer;
    private final Consumer<ProducerKeys> producers;
    private final Consumer<KeySet> publicKeys;
    private volatile String signingKeyId;
    private volatile ProducerKeys producerKeys;
    private FileTime producerKeysModified;

    /**
     * @param signingKeyId the id of the key the broker started with; empty while signing is off
     * @param signer takes a new signing key; null while signing is off
     * @param publicKeys takes the public keys (current and retired) after a rotation
     */
    public IntegrityKeys(BrokerConfig.Integrity config, String signingKeyId, Consumer<SigningKey> signer,
                         Consumer<KeySet> publicKeys, ProducerKeys producerKeys, Consumer<ProducerKeys> producers) {
        this.publicKeys = publicKeys;
        this.config = config;
        this.signingKeyId = Objects.requireNonNull(signingKeyId, "signingKeyId");
        this.signer = signer;
        this.producerKeys = producerKeys;
        this.producers = producers;
        this.producerKeysModified = modified(config.producerKeys());
        producers.accept(producerKeys);
    }

    public String signingKeyId() {
        return signingKeyId;
    }

    public ProducerKeys producerKeys() {
        return producerKeys;
    }

    /**
     * Switches to the key in the private-key file if it is another one.
     *
     * @return the change, or null if the key is the same (or signing is off)
     * @throws IllegalStateException if the key or the public-keys file cannot be used
     */
    public synchronized Change reloadSigningKey() {
        if (signer == null) {
            return null;
        }
        SigningKey key;
        KeySet keys;
        try {
            key = SigningKeyFiles.loadPrivate(config.privateKey());
            keys = SigningKeyFiles.loadPublic(config.publicKeys(), key);
        } catch (IOException e) {
            throw new IllegalStateException("the message-signing key cannot be used: " + e.getMessage(), e);
        }
        if (key.id().equals(signingKeyId)) {
            return null;
        }
        String previous = signingKeyId;
        publicKeys.accept(keys);
        signer.accept(key);
        signingKeyId = key.id();
        LOG.info("messages are now signed with key {} (was {})", key.id(), previous);
        return new Change(previous, key.id());
    }

    /**
     * Reads the producer keys again if the file changed ({@code force}: in any case).
     *
     * @return the keys now in force if they were replaced, else null
     * @throws IllegalStateException if the file is invalid (the keys in force stay)
     */
    public synchronized ProducerKeys reloadProducerKeys(boolean force) {
        FileTime now = modified(config.producerKeys());
        if (!force && Objects.equals(now, producerKeysModified)) {
            return null;
        }
        producerKeysModified = now;
        ProducerKeys loaded;
        try {
            loaded = ProducerKeys.load(config.producerKeys());
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        if (loaded.all().equals(producerKeys.all())) {
            return null;
        }
        producerKeys = loaded;
        producers.accept(loaded);
        LOG.info("producer keys reloaded: {} key(s) of {} principal(s)", loaded.keyCount(), loaded.all().size());
        return loaded;
    }

    private static FileTime modified(Path file) {
        try {
            return Files.exists(file) ? Files.getLastModifiedTime(file) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
