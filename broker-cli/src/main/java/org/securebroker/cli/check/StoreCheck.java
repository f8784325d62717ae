package org.securebroker.cli.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.securebroker.server.BrokerContext;
import org.securebroker.server.Offline;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.queue.QueueCatalog;
import org.securebroker.store.Store;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.MetadataMac;
import org.securebroker.store.failure.StoreException;

/**
 * The queues' data, as the broker's next start would see it: the queue catalog must pass its
 * authentication tag, and, with the broker stopped, must not be older than the generation the
 * store recorded nor missing over existing logs; every log must be available and defined. Each
 * problem is high: the broker refuses to start (a catalog it cannot trust), or refuses every
 * request on the queue (unavailable).
 *
 * <p>While the broker runs it holds the store, so only the catalog's tag is checked and an info
 * finding says so ({@code /readyz} and the server log name unavailable queues then). With the
 * broker stopped the check opens the store, which runs its recovery as the next start would: the
 * one change {@code broker check} can make, and no other than the broker would make.
 *
 * <p>Thread-safety: stateless (the context is immutable).
 */
public final class StoreCheck implements SecurityCheck {

    private final BrokerContext context;

    /** @param context the clock, randomness and file layer the store is opened with */
    public StoreCheck(BrokerContext context) {
        this.context = context;
    }

    @Override
    public String name() {
        return "store";
    }

    @Override
    public List<Finding> run(CheckContext check) throws IOException {
        List<Finding> out = new ArrayList<>();
        BrokerConfig config = check.config();
        if (!Files.isDirectory(config.storeDir())) {
            return out;
        }
        Keyring keyring;
        try {
            keyring = Offline.keyring(config, check.environment());
        } catch (RuntimeException e) {
            out.add(Finding.info("store-not-checked", config.storeDir().toString(), "the store and the queue catalog "
                    + "cannot be checked without the key-encryption key: " + e.getMessage(), null));
            return out;
        }
        Path file = config.queueCatalog();
        Store store;
        try {
            store = Offline.store(config, context, check.environment());
        } catch (IllegalStateException e) {
            // the broker holds the store: the catalog's tag is all that can be checked, with the KEK directly
            readCatalog(out, file, config, kek -> MetadataMac.derive(keyring, kek, QueueCatalog.PURPOSE));
            out.add(Finding.info("store-not-checked", config.storeDir().toString(), "the store is in use, so its logs "
                    + "were not checked (a running broker lists unavailable queues on /readyz and in its log): "
                    + e.getMessage(), null));
            return out;
        }
        try (store) {
            QueueCatalog.Contents catalog = readCatalog(out, file, config,
                    kek -> store.metadataMac(QueueCatalog.PURPOSE, kek));
            if (catalog != null || !Files.exists(file)) {
                catalogAgainstStore(out, file, catalog, store);
            }
            for (Map.Entry<String, StoreException> e : store.unavailableLogs().entrySet()) {
                out.add(Finding.high("queue-unavailable", e.getKey(), "queue '" + e.getKey() + "' is unavailable: "
                        + e.getValue().getMessage() + "; the broker refuses every request on it but deletion",
                        "restore the queue from the backup taken with the store, or accept the loss: broker store "
                        + "repair " + e.getKey() + " --accept-loss (docs/operations.md, 'A queue is unavailable')"));
            }
            if (catalog != null) {
                Set<String> known = new TreeSet<>(catalog.deleting());
                catalog.queues().forEach(d -> known.add(d.name()));
                for (String log : store.logNames()) {
                    if (!known.contains(log)) {
                        out.add(Finding.high("queue-undefined", log, "the store holds a log named '" + log + "' but "
                                + "the queue catalog has no definition for it; the broker refuses every request on it",
                                "define it to serve its messages (broker queue create " + log + " with its settings, "
                                + "or queues.define), or delete it (broker queue delete " + log + ")"));
                    }
                }
            }
        } catch (StoreException e) {
            out.add(Finding.high("store-unreadable", config.storeDir().toString(), e.getMessage(),
                    "fix what the message names; the broker cannot start until then"));
        }
        return out;
    }

    /** Reads and authenticates the catalog; a finding and null if it cannot be used, null if it is missing. */
    private static QueueCatalog.Contents readCatalog(List<Finding> out, Path file, BrokerConfig config,
                                                     Function<String, Optional<MetadataMac>> keys) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        QueueCatalog.Contents catalog;
        try {
            catalog = QueueCatalog.read(file, keys);
        } catch (QueueCatalog.CatalogException e) {
            out.add(Finding.high("queue-catalog-invalid", file.toString(), e.getMessage(), "restore "
                    + file.getFileName() + " from the backup taken with " + config.storeDir()
                    + " (docs/operations.md, 'The queue catalog')"));
            return null;
        }
        if (catalog.version() == 1) {
            out.add(Finding.info("queue-catalog-version-1", file.toString(), "the queue catalog is a version-1 file "
                    + "without an authentication tag; the broker's next start rewrites it as version 2", null));
        }
        return catalog;
    }

    /** The catalog's generation against the store's anchor, and a missing catalog over existing queues. */
    private static void catalogAgainstStore(List<Finding> out, Path file, QueueCatalog.Contents catalog, Store store) {
        OptionalLong anchor = store.anchor(QueueCatalog.ANCHOR);
        String fix = "restore " + file.getFileName() + " from the backup taken with the store (docs/operations.md, "
                + "'The queue catalog')";
        if (catalog == null) {
            if (anchor.isPresent() || !store.logNames().isEmpty() || !store.unavailableLogs().isEmpty()) {
                out.add(Finding.high("queue-catalog-missing", file.toString(), "the queue catalog is missing, but the "
                        + "store holds queues" + (anchor.isPresent() ? " and recorded generation " + anchor.getAsLong()
                        + " of it" : "") + ": the broker does not start", fix));
            }
            return;
        }
        if (catalog.version() == 1 && anchor.isPresent()) {
            out.add(Finding.high("queue-catalog-rolled-back", file.toString(), "the queue catalog is a version-1 file, "
                    + "but the store recorded version-2 generation " + anchor.getAsLong() + ": the broker does not "
                    + "start", fix));
        } else if (catalog.version() == 2 && anchor.isPresent() && catalog.generation() < anchor.getAsLong()) {
            out.add(Finding.high("queue-catalog-rolled-back", file.toString(), "the queue catalog is generation "
                    + catalog.generation() + ", older than generation " + anchor.getAsLong() + " the store recorded: "
                    + "the broker does not start", fix));
        }
    }
}
