package org.securebroker.server.queue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Log;
import org.securebroker.store.Store;
import org.securebroker.store.failure.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which queues exist: definitions in the {@link QueueCatalog} and logs in the store, kept in step
 * across crashes, and the queues that exist but cannot be served ({@link UnavailableQueue}). It
 * never guesses one half from the other: a log without a definition is unavailable (not given
 * made-up settings), and a definition without a log gets one only through {@link Store#createLog},
 * which refuses a log the store knows existed.
 *
 * <p>The order of the writes makes every crash between two of them leave a state the next start
 * accepts as it is:
 * <ul>
 *   <li>creating: the definition first, then the log. A definition without a log is a creation
 *       the crash interrupted; its log is created at start.</li>
 *   <li>deleting: a "deleting" mark replaces the definition, then the log is deleted, then the
 *       mark is removed. A mark at start finishes the deletion. With a full disk, where the mark
 *       cannot be written, the log goes first (which frees space) and the definition after it; a
 *       crash in between leaves a definition without a log, created again empty at start.</li>
 * </ul>
 *
 * <p>Thread-safety: changes run on one thread at a time (the engine's admin thread, or the
 * starting thread before it); the unavailable queues may be read from any thread.
 */
final class QueueStructure {

    private static final Logger LOG = LoggerFactory.getLogger(QueueEngine.class);

    /** A queue found at start with its definition and an available log. */
    record Served(QueueDefinition definition, Log log) {
    }

    /** A queue's log after {@link #create}; {@code adopted} when it held messages without a definition. */
    record Created(Log log, boolean adopted) {
    }

    private final Store store;
    private final QueueCatalog catalog;
    private final StoreRefusals refusals;
    private final Map<String, UnavailableQueue> unavailable = new ConcurrentHashMap<>();
    /** Deleted queues whose removal from the catalog a full disk put off. */
    private final java.util.Set<String> catalogBehind = ConcurrentHashMap.newKeySet();
    /** Guarded by {@code this}, with the additions to {@link #unavailable}: no queue reported twice or missed. */
    private QueueEngine.UnavailableObserver observer = queue -> { };

    QueueStructure(Store store, QueueCatalog catalog, StoreRefusals refusals) {
        this.store = store;
        this.catalog = catalog;
        this.refusals = refusals;
    }

    /**
     * At start: loads the catalog, finishes interrupted deletions, creates the logs of
     * definitions without one, finds the unavailable queues, and applies {@code configured}.
     *
     * @return the queues to serve
     * @throws QueueCatalog.CatalogException if the catalog cannot be trusted
     */
    List<Served> open(List<QueueDefinition> configured) throws IOException {
        catalog.load();
        finishDeletions();
        Map<String, StoreException> broken = store.unavailableLogs();
        for (QueueDefinition d : List.copyOf(catalog.all())) {
            if (store.log(d.name()).isPresent()) {
                continue;
            }
            StoreException problem = broken.get(d.name());
            if (problem == null) {
                try {
                    store.createLog(d.name());
                    LOG.info("queue '{}' had a definition but no log (the broker stopped between writing the two); its "
                            + "log was created", d.name());
                    continue;
                } catch (StoreException e) {
                    if (e.kind() != StoreException.Kind.LOG_UNAVAILABLE) {
                        throw e;
                    }
                    problem = e;
                }
            }
            markUnavailable(new UnavailableQueue(d.name(), Optional.of(d), problem.getMessage()));
        }
        for (String name : store.logNames()) {
            if (undefined(name)) {
                markUnavailable(new UnavailableQueue(name, Optional.empty(), "the store holds a log named '" + name
                        + "' but the queue catalog " + catalog.file() + " has no definition for it; define it ('broker "
                        + "queue create " + name + "' with its settings) to serve its messages, or delete it ('broker "
                        + "queue delete " + name + "')"));
            }
        }
        for (Map.Entry<String, StoreException> e : broken.entrySet()) {
            if (undefined(e.getKey())) {
                markUnavailable(new UnavailableQueue(e.getKey(), Optional.empty(), e.getValue().getMessage()
                        + "; and the queue catalog has no definition for it"));
            }
        }
        for (QueueDefinition d : configured) {
            applyConfigured(d);
        }
        List<Served> served = new ArrayList<>();
        for (QueueDefinition d : catalog.all()) {
            Optional<Log> log = store.log(d.name());
            if (log.isPresent() && !unavailable.containsKey(d.name())) {
                served.add(new Served(d, log.get()));
            }
        }
        return served;
    }

    private boolean undefined(String name) {
        return catalog.get(name) == null && !catalog.deleting().contains(name);
    }

    /** Finishes the deletions a stop interrupted: the catalog marks them, the log may still be there. */
    private void finishDeletions() throws IOException {
        for (String name : List.copyOf(catalog.deleting())) {
            try {
                deleteLogIfAny(name);
            } catch (StoreException e) {
                LOG.error("queue '{}' was being deleted, but its log cannot be deleted now ({}); the deletion is tried "
                        + "again at the next start", name, e.getMessage());
                continue;
            }
            catalog.finishDelete(name);
            LOG.info("finished deleting queue '{}' (its deletion was interrupted by a stop)", name);
        }
    }

    /**
     * A queue of {@code queues.define}: created when missing (with its dead-letter queue),
     * updated when its settings changed. A log without a definition is adopted: the
     * configuration names it and says how it behaves. An unavailable queue keeps its state.
     */
    private void applyConfigured(QueueDefinition d) throws IOException {
        UnavailableQueue u = unavailable.get(d.name());
        if (u != null && (u.defined() || store.log(d.name()).isEmpty())) {
            LOG.error("queue '{}' of queues.define is unavailable; its settings are not applied until it is repaired",
                    d.name());
            return;
        }
        QueueDefinition current = catalog.get(d.name());
        if (current == null) {
            if (d.hasDeadLetterQueue() && catalog.get(d.deadLetterQueue()) == null
                    && !unavailable.containsKey(d.deadLetterQueue())) {
                defineAndCreateLog(QueueDefinition.simple(d.deadLetterQueue()));
            }
            defineAndCreateLog(d);
            if (u != null) {
                unavailable.remove(d.name());
                LOG.warn("queue '{}' had a log but no definition; queues.define defines it, so its messages are served "
                        + "under that definition", d.name());
            } else {
                LOG.info("created queue '{}' from the configuration", d.name());
            }
        } else if (!current.equals(d)) {
            catalog.put(d);
            LOG.info("updated queue '{}' from the configuration", d.name());
        }
    }

    /** The definition first, then the log, at start. */
    private void defineAndCreateLog(QueueDefinition d) throws IOException {
        catalog.put(d);
        if (store.log(d.name()).isEmpty()) {
            try {
                store.createLog(d.name());
            } catch (StoreException e) {
                if (e.kind() != StoreException.Kind.LOG_UNAVAILABLE) {
                    throw e;
                }
                markUnavailable(new UnavailableQueue(d.name(), Optional.of(d), e.getMessage()));
            }
        }
    }

    /**
     * Refuses creating {@code name} if it exists but is unavailable, unless it is a log without a
     * definition: creating that defines it.
     */
    void checkCreatable(String name) {
        UnavailableQueue u = unavailable.get(name);
        if (u != null && (u.defined() || store.log(name).isEmpty())) {
            throw StoreRefusals.unavailable(name);
        }
    }

    /**
     * Creates a queue: the definition first, then the log (or the log already there, for a queue
     * that had none). A log the store cannot create takes the definition back; one it refuses as
     * unavailable leaves an unavailable queue.
     *
     * @throws RequestException what the client is told
     */
    Created create(QueueDefinition definition) {
        return create(definition, "");
    }

    /**
     * As {@link #create(QueueDefinition)}, recording {@code createdBy} (empty: nobody) as the
     * queue's owner in the same catalog write as its definition.
     */
    Created create(QueueDefinition definition, String createdBy) {
        String name = definition.name();
        try {
            catalog.put(definition, createdBy);
        } catch (IOException e) {
            throw refusals.refusal(name, "writing the queue catalog", e);
        }
        Log log;
        try {
            log = store.log(name).orElseGet(() -> store.createLog(name));
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.LOG_UNAVAILABLE) {
                markUnavailable(new UnavailableQueue(name, Optional.of(definition), e.getMessage()));
                throw StoreRefusals.unavailable(name);
            }
            RequestException refused = refusals.refusal(name, "creating the queue's log", e);
            try {
                catalog.forget(name);
            } catch (IOException again) {
                LOG.warn("queue '{}': its log could not be created and its definition could not be taken back ({}); "
                        + "the log is created at the next start", name, again.getMessage());
            }
            throw refused;
        }
        boolean adopted = unavailable.remove(name) != null;
        if (adopted) {
            LOG.warn("queue '{}' had a log but no definition; it is defined now and its messages are served", name);
        } else {
            LOG.info("queue '{}' created", name);
        }
        return new Created(log, adopted);
    }

    /**
     * Deletes a queue, available or not: {@code detach} runs once nothing can bring the queue back
     * (the mark is written, or the disk is full), before its log is deleted.
     *
     * @throws RequestException what the client is told
     */
    void delete(String name, Runnable detach) {
        boolean marked = false;
        try {
            catalog.beginDelete(name);
            marked = true;
        } catch (IOException e) {
            if (!RequestException.isDiskFull(e)) {
                throw refusals.refusal(name, "writing the queue catalog", e);
            }
            LOG.warn("queue '{}': the disk is full, so the queue catalog cannot mark the deletion first; the log is "
                    + "deleted first, which frees space", name);
        }
        unavailable.remove(name);
        detach.run();
        try {
            deleteLogIfAny(name);
        } catch (StoreException e) {
            LOG.error("queue '{}' is deleted from the catalog{}, but its log could not be deleted ({}); the deletion "
                    + "is finished at the next start", name, marked ? "" : " (not yet)", e.getMessage());
            throw refusals.refusal(name, "deleting the queue's log", e);
        }
        try {
            if (marked) {
                catalog.finishDelete(name);
            } else {
                catalog.forget(name);
            }
        } catch (IOException e) {
            catalogBehind.add(name);
            LOG.warn("queue '{}': its log is deleted, but the queue catalog could not record it yet ({}); it is "
                    + "written as soon as the disk takes it, at the latest when the broker stops", name, e.getMessage());
        }
    }

    /** Writes the catalog removals a full disk put off; a no-op when there are none. */
    void catchUp() {
        for (String name : List.copyOf(catalogBehind)) {
            try {
                catalog.forget(name);
                catalogBehind.remove(name);
                LOG.info("queue '{}': the queue catalog records its deletion now", name);
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Deletes the queue's log if the store has one, available or not. */
    private void deleteLogIfAny(String name) {
        try {
            store.deleteLog(name);
        } catch (StoreException e) {
            if (e.kind() != StoreException.Kind.LOG_NOT_FOUND) {
                throw e;
            }
        } catch (CompletionException e) {
            // the store waits for its subscription state inside deleteLog; its failure arrives wrapped
            if (Futures.cause(e) instanceof StoreException se) {
                throw se;
            }
            throw e;
        }
    }

    /** Who created {@code queue} and its subscriptions, as the catalog records it. */
    QueueCatalog.Owners owners(String queue) {
        return catalog.owners(queue);
    }

    /** Every queue with recorded owners. */
    Map<String, QueueCatalog.Owners> allOwners() {
        return catalog.allOwners();
    }

    /**
     * Records, durably and before the store creates it, who creates a subscription.
     *
     * @throws RequestException what the client is told if the catalog cannot be written
     */
    void recordSubscriptionOwner(String queue, String subscription, String principal) {
        try {
            catalog.putSubscriptionOwner(queue, subscription, principal);
        } catch (IOException e) {
            throw refusals.refusal(queue, "writing the queue catalog", e);
        }
    }

    /**
     * Forgets subscription owners whose subscription the store does not have.
     *
     * @return those forgotten, by subscription name
     */
    Map<String, String> retainSubscriptionOwners(String queue, java.util.Set<String> existing) {
        try {
            return catalog.retainSubscriptionOwners(queue, existing);
        } catch (IOException e) {
            // kept for the next start: until then the owner counts a subscription that does not exist
            LOG.warn("queue '{}': owners of subscriptions that do not exist could not be removed from the queue "
                    + "catalog ({}); they are removed at the next start", queue, e.getMessage());
            Map<String, String> none = Map.of();
            return none;
        }
    }

    /**
     * Records the last activity of subscriptions of {@code queue}, durably.
     *
     * @throws RequestException if the catalog cannot be written
     */
    void recordActivity(String queue, Map<String, Long> times) {
        try {
            catalog.putActivity(queue, times);
        } catch (IOException e) {
            throw refusals.refusal(queue, "writing the queue catalog", e);
        }
    }

    /**
     * Records the last activity of subscriptions of several queues (by queue), durably, in one
     * catalog write.
     *
     * @throws java.io.UncheckedIOException if the catalog cannot be written
     */
    void recordActivity(Map<String, Map<String, Long>> byQueue) {
        try {
            catalog.putActivity(byQueue);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the queue catalog could not be written: " + e.getMessage(), e);
        }
    }

    /**
     * Forgets a deleted subscription in the catalog (its owner and activity).
     *
     * @return its owner, whose quota it counted against; empty for nobody
     * @throws RequestException if the catalog cannot be written
     */
    String forgetSubscription(String queue, String subscription) {
        try {
            return catalog.removeSubscription(queue, subscription);
        } catch (IOException e) {
            throw refusals.refusal(queue, "writing the queue catalog", e);
        }
    }

    /** Writes the catalog again under the current KEK. */
    void reseal() {
        try {
            catalog.reseal();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the queue catalog " + catalog.file()
                    + " could not be rewritten under the current KEK: " + e.getMessage(), e);
        }
    }

    /** Records an unavailable queue: logged once at ERROR, and told to the observer. */
    private synchronized void markUnavailable(UnavailableQueue queue) {
        if (unavailable.put(queue.name(), queue) == null) {
            LOG.error("queue '{}' is unavailable and refuses every request but deletion until an operator repairs it "
                    + "(restore it from a backup, or 'broker store repair {} --accept-loss' to accept the loss; see "
                    + "docs/operations.md): {}", queue.name(), queue.name(), queue.problem());
            observer.unavailable(queue);
        }
    }

    /** See {@link QueueEngine#unavailableObserver}. */
    synchronized void observer(QueueEngine.UnavailableObserver next) {
        this.observer = Objects.requireNonNull(next, "observer");
        unavailableQueues().forEach(next::unavailable);
    }

    boolean isUnavailable(String name) {
        return unavailable.containsKey(name);
    }

    Optional<UnavailableQueue> unavailable(String name) {
        return Optional.ofNullable(unavailable.get(name));
    }

    List<UnavailableQueue> unavailableQueues() {
        List<UnavailableQueue> out = new ArrayList<>(unavailable.values());
        out.sort(Comparator.comparing(UnavailableQueue::name));
        return out;
    }

    /** What a request naming an unavailable dead-letter queue is told. */
    static RequestException deadLetterQueueUnavailable(String queue, String deadLetterQueue) {
        return new RequestException(ErrorCode.QUEUE_UNAVAILABLE, "the dead-letter queue '" + deadLetterQueue
                + "' of queue '" + queue + "' is unavailable; an operator must repair it first");
    }
}
