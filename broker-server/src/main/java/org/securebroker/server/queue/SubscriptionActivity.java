package org.securebroker.server.queue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.securebroker.store.subscription.SubscriptionSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last activity of durable subscriptions and when they expire idle, for {@link SubscriptionAdmin}.
 *
 * <p>A consumer attaching, acknowledging or detaching makes a subscription active. The time is kept
 * in memory; what the queue catalog must learn is marked and written in one catalog write at most
 * every {@link #FLUSH} (and when the engine closes), so consumers coming and going never queue a
 * catalog rewrite each on the admin thread. The catalog learns when a subscription's last consumer
 * detaches (from then on it is idle) and, for a subscription that is attached or attached again,
 * when its recorded time is older than {@link #REFRESH}. Times of subscriptions deleted meanwhile
 * are dropped, never written back. Losing the last unwritten times in a crash only makes a
 * subscription look idle for longer than it was, within the bound below. A subscription without a
 * recorded time at start is taken as active at the start (written in one catalog write). Idle time
 * counts from the later of the last activity and the start: the time the broker was stopped is not
 * counted, so no subscription expires before its consumers have had a full expiry period after a
 * start to come back.
 *
 * <p>Thread-safety: thread-safe. Times in memory and marks are concurrent maps, written from queue
 * executors; what was written to the catalog is kept and changed on the admin thread only.
 */
final class SubscriptionActivity {

    /** Logged under {@link SubscriptionAdmin}, where operators have always found these lines. */
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionAdmin.class);
    /** How often the recorded activity of a subscription with consumers attached is brought up to date. */
    static final Duration REFRESH = Duration.ofHours(1);
    /** How often marked activity is written to the catalog. */
    static final Duration FLUSH = Duration.ofSeconds(5);

    private final QueueEngine engine;
    private final QueueStructure structure;
    private final Clock clock;
    private final ExecutorService admin;
    /** Last activity in epoch ms, by queue, then subscription. */
    private final Map<String, Map<String, Long>> lastActive = new ConcurrentHashMap<>();
    /** The activity last written to the catalog; on the admin thread. */
    private final Map<String, Map<String, Long>> recorded = new HashMap<>();
    /**
     * Activity the catalog should learn at the next flush, by queue, then subscription: true
     * when it must (idleness began), false when only if the recorded time is stale.
     */
    private final Map<String, Map<String, Boolean>> marked = new ConcurrentHashMap<>();
    /** When the engine started (epoch ms): idle time is counted from here at the earliest. */
    private volatile long startedAt;
    private volatile Duration idleExpiry = Duration.ofDays(7);

    SubscriptionActivity(QueueEngine engine, QueueStructure structure, Clock clock, ExecutorService admin) {
        this.engine = engine;
        this.structure = structure;
        this.clock = clock;
        this.admin = admin;
    }

    /** {@code queues.subscriptionIdleExpiry}, zero for never; checked by the caller. */
    void idleExpiry(Duration subscriptionIdleExpiry) {
        this.idleExpiry = subscriptionIdleExpiry;
    }

    Duration idleExpiry() {
        return idleExpiry;
    }

    /**
     * At start: the recorded activity of every subscription, the start time for those without
     * one. Idle time counts from the start at the earliest: the time the broker was stopped is
     * not time its consumers could have come back in.
     */
    void restore(Collection<BrokerQueue> queues) {
        long now = clock.millis();
        startedAt = now;
        for (BrokerQueue q : queues) {
            Map<String, Long> times = new ConcurrentHashMap<>();
            Map<String, Long> saved = structure.owners(q.name()).lastActive();
            Map<String, Long> missing = new HashMap<>();
            for (SubscriptionSnapshot s : q.log().subscriptions().list()) {
                Long at = saved.get(s.name());
                if (at == null) {
                    missing.put(s.name(), now);
                    times.put(s.name(), now);
                } else {
                    times.put(s.name(), at);
                }
            }
            lastActive.put(q.name(), times);
            recorded.put(q.name(), new HashMap<>(times));
            missing.keySet().forEach(name -> mark(q.name(), name, true));
        }
        admin.execute(this::flush);
        engine.scheduler().scheduleWithFixedDelay(() -> admin.execute(this::flush), FLUSH.toMillis(),
                FLUSH.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A subscription was active now (a consumer attached, acknowledged or detached); with
     * {@code persist}, the catalog learns it at the next flush if its recorded time is older than
     * {@link #REFRESH}.
     */
    void active(String queue, String subscription, boolean persist) {
        if (engine.queueOrNull(queue) == null) {
            return; // not yet (auto-created, the attach marks it again) or no longer
        }
        lastActive.computeIfAbsent(queue, k -> new ConcurrentHashMap<>()).put(subscription, clock.millis());
        if (persist) {
            mark(queue, subscription, false);
        }
    }

    /** A subscription's last consumer detached now: from here it is idle, which the catalog learns at the next flush. */
    void idle(String queue, String subscription) {
        if (engine.queueOrNull(queue) == null) {
            return;
        }
        lastActive.computeIfAbsent(queue, k -> new ConcurrentHashMap<>()).put(subscription, clock.millis());
        mark(queue, subscription, true);
    }

    private void mark(String queue, String subscription, boolean must) {
        marked.computeIfAbsent(queue, k -> new ConcurrentHashMap<>()).merge(subscription, must, Boolean::logicalOr);
    }

    /** Forgets the activity of a deleted queue's subscriptions; on the admin thread. */
    void forgetQueue(String queue) {
        lastActive.remove(queue);
        recorded.remove(queue);
        marked.remove(queue);
    }

    /** Forgets the activity of a deleted subscription, once the catalog forgot it; on the admin thread. */
    void forgetSubscription(String queue, String subscription) {
        Map<String, Long> times = lastActive.get(queue);
        if (times != null) {
            times.remove(subscription);
        }
        Map<String, Long> written = recorded.get(queue);
        if (written != null) {
            written.remove(subscription);
        }
    }

    /** The queues whose subscriptions' activity is kept in memory (for tests). */
    Set<String> queues() {
        return Set.copyOf(lastActive.keySet());
    }

    /**
     * Writes the marked activity to the catalog, in one write; on the admin thread (every
     * {@link #FLUSH}, and when the engine closes). What fails to be written stays marked.
     */
    void flush() {
        long every = Math.min(REFRESH.toMillis(), Math.max(1000, idleExpiry.toMillis() / 4));
        Map<String, Map<String, Long>> due = new HashMap<>();
        Map<String, Map<String, Boolean>> taken = new HashMap<>();
        for (String queue : List.copyOf(marked.keySet())) {
            Map<String, Boolean> subs = marked.remove(queue);
            if (subs == null || subs.isEmpty()) {
                continue;
            }
            taken.put(queue, subs);
            BrokerQueue q = engine.queueOrNull(queue);
            if (q == null || q.isDeleted()) {
                forgetQueue(queue);
                continue;
            }
            Map<String, Long> times = lastActive.getOrDefault(queue, Map.of());
            Map<String, Long> done = recorded.getOrDefault(queue, Map.of());
            subs.forEach((name, must) -> {
                Long at = times.get(name);
                if (q.log().subscriptions().get(name).isEmpty()) {
                    // deleted meanwhile (or never created): its time must not come back
                    times.remove(name);
                    return;
                }
                Long was = done.get(name);
                if (at != null && (was == null || (must ? at > was : at - was >= every))) {
                    due.computeIfAbsent(queue, k -> new HashMap<>()).put(name, at);
                }
            });
        }
        if (due.isEmpty()) {
            return;
        }
        try {
            structure.recordActivity(due);
            due.forEach((queue, times) -> recorded.computeIfAbsent(queue, k -> new HashMap<>()).putAll(times));
        } catch (RuntimeException e) {
            LOG.warn("the last activity of subscriptions of queue(s) {} could not be written to the queue catalog ({}); "
                    + "it is kept in memory and written again later", due.keySet(), e.getMessage());
            taken.forEach((queue, subs) -> subs.forEach((name, must) -> mark(queue, name, must)));
        }
    }

    /** Epoch ms of a subscription's last activity; 0 if unknown. */
    long lastActive(String queue, String subscription) {
        Long at = lastActive.getOrDefault(queue, Map.of()).get(subscription);
        return at == null ? 0 : at;
    }

    /** Epoch ms when a subscription expires if it stays idle; 0 for never or while consumers are attached. */
    long expiresAt(String queue, String subscription, boolean attached) {
        Duration idle = idleExpiry;
        long last = lastActive(queue, subscription);
        if (attached || idle.isZero() || last == 0) {
            return 0;
        }
        return saturatedAdd(idleSince(last), idle.toMillis());
    }

    /** How long a subscription has been idle at {@code now}, counted from the start at the earliest. */
    long idleFor(String queue, String subscription, long now) {
        return now - idleSince(lastActive(queue, subscription));
    }

    /** Where idle time starts for a subscription last active at {@code last}: not before the start. */
    private long idleSince(long last) {
        return Math.max(last, startedAt);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * On the queue's executor, from its timer: the subscriptions without consumers idle past the
     * expiry at {@code now}, in the store's order. Brings the recorded activity of attached ones up
     * to date on the way, and drops times a subscribe left behind without creating its subscription.
     */
    List<String> expired(BrokerQueue q, long now) {
        List<SubscriptionSnapshot> existing = q.log().subscriptions().list();
        Map<String, Long> times = lastActive.get(q.name());
        if (times != null && times.size() > existing.size()) {
            // a subscribe that never created its subscription left a time behind
            Set<String> names = new HashSet<>();
            existing.forEach(s -> names.add(s.name()));
            times.keySet().removeIf(name -> !names.contains(name) && !q.attached(name));
        }
        List<String> expired = new ArrayList<>();
        for (SubscriptionSnapshot s : existing) {
            if (q.attached(s.name())) {
                active(q.name(), s.name(), true);
                continue;
            }
            long expires = expiresAt(q.name(), s.name(), false);
            if (expires != 0 && now >= expires) {
                expired.add(s.name());
            }
        }
        return expired;
    }
}
