package org.securebroker.server.queue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.PeerText;
import org.securebroker.protocol.codec.WireSizes;
import org.securebroker.server.config.Durations;
import org.securebroker.server.limits.PrincipalQuotas;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.server.request.Futures;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Log;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.subscription.SubscriptionSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of durable subscriptions, beside delivery: listing them with their lag, deleting
 * them (by request, or when idle past {@code queues.subscriptionIdleExpiry}), purging a queue,
 * browsing it without consuming, moving a subscription to an offset or a time (seek), and
 * rejecting a delivery straight to the dead-letter queue.
 *
 * <p>Every operation that touches delivery state runs on the queue's serial executor, as delivery
 * does, so it sees and changes the dispatchers' state without locks; what changes the queue
 * catalog (owners, last activity) runs on the engine's admin thread, as every catalog change does.
 * Callers get futures and never wait.
 *
 * <p>Two parts live beside it: {@link SubscriptionActivity} keeps the last activity of each
 * subscription, writes it to the catalog and says which are idle past the expiry;
 * {@link QueueReader} reads a queue without consuming it (browse, and the search by broker
 * timestamp that a seek by time and replay retention use).
 *
 * <p>Thread-safety: thread-safe.
 */
public final class SubscriptionAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionAdmin.class);

    /** What happened to a subscription or a queue, for the audit log. */
    @FunctionalInterface
    public interface Events {
        /**
         * @param type {@code subscription.deleted}, {@code subscription.expired}, {@code subscription.seek},
         *     {@code queue.purged} or {@code message.rejected}
         * @param principal who asked; empty when the broker did it (an expiry)
         * @param queue the queue
         * @param subscription the subscription, or empty
         * @param details what the event names besides (offsets, counts, reasons)
         */
        void event(String type, String principal, String queue, String subscription, Map<String, String> details);
    }

    /**
     * One subscription as {@link #list} shows it.
     *
     * @param consumers consumers attached now
     * @param pending messages retained that it has not acknowledged (its lag)
     * @param inFlight delivered, not yet settled
     * @param cursor the lowest offset it has not acknowledged
     * @param lastActiveMillis epoch ms of its last activity; 0 if unknown
     * @param expiresAtMillis epoch ms when it expires if it stays idle; 0 for never or while consumers are attached
     */
    public record Status(String name, int consumers, long pending, int inFlight, long cursor, long lastActiveMillis,
                         long expiresAtMillis) {
    }

    /** A message read by {@link #browse}: its offset and the message as stored, seal included. */
    public record Browsed(long offset, MessageEnvelope message) {
    }

    /** What {@link #browse} read, and where to continue. */
    public record BrowseResult(long nextOffset, List<Browsed> messages) {
        public BrowseResult {
            messages = List.copyOf(messages);
        }
    }

    /** How a seek names its position. */
    public enum SeekKind {
        /** An offset. */
        OFFSET,
        /** The first message whose broker timestamp is at or after a time (epoch ms). */
        TIME
    }

    private final QueueEngine engine;
    private final QueueStructure structure;
    private final PrincipalQuotas quotas;
    private final Clock clock;
    private final ExecutorService admin;
    private final SubscriptionActivity activity;
    private final QueueReader reader;
    /** Deletions under way (until the catalog forgot the owner), by queue and subscription. */
    private final Map<String, CompletableFuture<Void>> deletions = new ConcurrentHashMap<>();
    private volatile Events events = (type, principal, queue, subscription, details) -> { };

    SubscriptionAdmin(QueueEngine engine, QueueStructure structure, PrincipalQuotas quotas, Clock clock,
                      ExecutorService admin) {
        this.engine = engine;
        this.structure = structure;
        this.quotas = quotas;
        this.clock = clock;
        this.admin = admin;
        this.activity = new SubscriptionActivity(engine, structure, clock, admin);
        this.reader = new QueueReader(engine, clock);
    }

    /**
     * Sets {@code queues.subscriptionIdleExpiry} (zero: never) and {@code queues.replayRetention}
     * (zero: acknowledged messages are released at once); may be called again (a reload).
     */
    public void settings(Duration subscriptionIdleExpiry, Duration replayRetention) {
        if (subscriptionIdleExpiry.isNegative() || replayRetention.isNegative()) {
            throw new IllegalArgumentException("the idle expiry and the replay retention are at least 0");
        }
        activity.idleExpiry(subscriptionIdleExpiry);
        reader.replayRetention(replayRetention);
    }

    /** Where subscription deletions, expiries, seeks, purges and rejections are reported (the audit log). */
    public void events(Events observer) {
        this.events = Objects.requireNonNull(observer, "observer");
    }

    // ---- last activity (kept by SubscriptionActivity)

    /** At start: the recorded activity of every subscription, the start time for those without one. */
    void restoreActivity(Collection<BrokerQueue> queues) {
        activity.restore(queues);
    }

    /** A subscription was active now; see {@link SubscriptionActivity#active}. */
    void active(String queue, String subscription, boolean persist) {
        activity.active(queue, subscription, persist);
    }

    /** A subscription's last consumer detached now; see {@link SubscriptionActivity#idle}. */
    void idle(String queue, String subscription) {
        activity.idle(queue, subscription);
    }

    /** Forgets the activity of a deleted queue's subscriptions; on the admin thread. */
    void forgetQueue(String queue) {
        activity.forgetQueue(queue);
    }

    /** The queues whose subscriptions' activity is kept in memory (for tests). */
    java.util.Set<String> queuesWithActivity() {
        return activity.queues();
    }

    /** Writes the marked activity to the catalog, in one write; on the admin thread. */
    void flush() {
        activity.flush();
    }

    /**
     * On the queue's executor, from its timer: deletes every subscription without consumers idle
     * past the expiry, and brings the recorded activity of attached ones up to date.
     */
    void checkIdle(BrokerQueue q) {
        if (q.isDeleted()) {
            return;
        }
        long now = clock.millis();
        for (String name : activity.expired(q, now)) {
            String idle = Durations.format(Duration.ofMillis(activity.idleFor(q.name(), name, now)));
            // a subscription an older broker created may have a name the rule now refuses: escaped
            LOG.info("queue '{}': subscription {} had no consumer for {}; it expires (queues."
                    + "subscriptionIdleExpiry {})", q.name(), PeerText.quote(name), idle,
                    Durations.format(activity.idleExpiry()));
            deleteOnExecutor(q, name, "", true).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.warn("queue '{}': expiring subscription {} failed ({}); it is tried again", q.name(),
                            PeerText.quote(name), Futures.cause(e).getMessage());
                }
            });
        }
    }

    // ---- list

    /** One page of a listing: subscriptions by name, and whether more follow the last. */
    public record Page(List<Status> subscriptions, boolean more) {
        public Page {
            subscriptions = List.copyOf(subscriptions);
        }
    }

    /** Every subscription of a queue with its lag, consumers and expiry, by name. */
    public CompletableFuture<List<Status>> list(String queue) {
        return list(queue, "", Long.MAX_VALUE).thenApply(Page::subscriptions);
    }

    /**
     * A page of the subscriptions of a queue, by name ({@link String#compareTo}): those whose
     * names sort after {@code after}, as many as fit in {@code room} bytes of SUBSCRIPTION_LIST
     * entries ({@link WireSizes#subscriptionInfoSize}), and at least one if any is left (a
     * subscription name has at most 200 ASCII characters, so one entry fits the smallest frame).
     *
     * @param room the negotiated frame size less {@link WireSizes#SUBSCRIPTION_LIST_OVERHEAD}
     */
    public CompletableFuture<Page> list(String queue, String after, long room) {
        Objects.requireNonNull(after, "after");
        return onQueue(queue, q -> {
            List<SubscriptionSnapshot> names = new ArrayList<>();
            for (SubscriptionSnapshot s : q.log().subscriptions().list()) {
                if (s.name().compareTo(after) > 0) {
                    names.add(s);
                }
            }
            names.sort(java.util.Comparator.comparing(SubscriptionSnapshot::name));
            List<Status> out = new ArrayList<>();
            long taken = 0;
            for (SubscriptionSnapshot s : names) {
                long size = WireSizes.subscriptionInfoSize(s.name());
                if (!out.isEmpty() && taken + size > room) {
                    return CompletableFuture.completedFuture(new Page(out, true));
                }
                out.add(status(q, s));
                taken += size;
            }
            return CompletableFuture.completedFuture(new Page(out, false));
        });
    }

    /** On the queue's executor. */
    private Status status(BrokerQueue q, SubscriptionSnapshot s) {
        Log log = q.log();
        long start = log.startOffset();
        long end = log.endOffset();
        SubscriptionDispatcher d = q.dispatcherOrNull(s.name());
        int consumers = d == null ? 0 : d.consumerCount();
        int inFlight = d == null ? 0 : d.inFlightCount();
        long from = Math.min(end, Math.max(s.committed(), start));
        long pending = end - from - log.skippedCount(from, end);
        for (OffsetRange r : s.ackedAbove()) {
            long a = Math.max(from, r.from());
            long b = Math.min(end, r.to());
            if (b > a) {
                pending -= (b - a) - log.skippedCount(a, b);
            }
        }
        return new Status(s.name(), consumers, Math.max(0, pending), inFlight, s.committed(),
                activity.lastActive(q.name(), s.name()), activity.expiresAt(q.name(), s.name(),
                q.attached(s.name())));
    }

    /**
     * Who created a subscription, as the queue catalog records it; empty when nobody is recorded
     * (or there is no such queue or subscription). Read on the admin thread, where the catalog
     * changes.
     */
    public CompletableFuture<String> owner(String queue, String subscription) {
        return CompletableFuture.supplyAsync(() -> structure.owners(queue).subscriptions().getOrDefault(subscription,
                ""), admin);
    }

    // ---- delete

    /**
     * Deletes a subscription: its consumers are cancelled ({@code SUBSCRIPTION_NOT_FOUND},
     * "subscription deleted"), its state leaves the store, its owner's quota gets the slot back,
     * and the records only it held are released.
     *
     * @param principal who asks (audited)
     */
    public CompletableFuture<Void> delete(String queue, String subscription, String principal) {
        return delete(queue, subscription, principal, null);
    }

    /**
     * As {@link #delete(String, String, String)}, allowed because {@code expectedOwner} owns the
     * subscription: refused ({@code NOT_AUTHORIZED}) if, when the deletion is made, another
     * principal owns a subscription of that name (deleted and created again meanwhile). Null:
     * no owner is required.
     */
    public CompletableFuture<Void> delete(String queue, String subscription, String principal, String expectedOwner) {
        return onQueue(queue, q -> {
            RequestException changed = ownerChanged(q, subscription, expectedOwner, "delete");
            return changed != null ? CompletableFuture.failedFuture(changed)
                    : deleteOnExecutor(q, subscription, principal, false);
        });
    }

    /** On the executor: the refusal when the subscription's owner is no longer {@code expectedOwner}. */
    private RequestException ownerChanged(BrokerQueue q, String subscription, String expectedOwner, String verb) {
        if (expectedOwner == null
                || expectedOwner.equals(structure.owners(q.name()).subscriptions().getOrDefault(subscription, ""))) {
            return null;
        }
        return new RequestException(ErrorCode.NOT_AUTHORIZED, "'" + expectedOwner + "' may not " + verb
                + " subscription " + PeerText.quote(subscription) + " of queue '" + q.name() + "': it was created "
                + "again by another principal since the request was authorized");
    }

    private CompletableFuture<Void> deleteOnExecutor(BrokerQueue q, String subscription, String principal,
                                                     boolean expired) {
        java.util.Optional<SubscriptionSnapshot> state = q.log().subscriptions().get(subscription);
        if (state.isEmpty()) {
            return CompletableFuture.failedFuture(notFound(q.name(), subscription));
        }
        RequestException busy = busy(q, subscription, "deleted");
        if (busy != null) {
            return CompletableFuture.failedFuture(busy);
        }
        SubscriptionSnapshot was = state.get();
        String key = key(q.name(), subscription);
        CompletableFuture<Void> finished = new CompletableFuture<>();
        deletions.put(key, finished);
        CompletableFuture<Void> removed;
        try {
            removed = q.log().subscriptions().delete(subscription);
        } catch (RuntimeException e) {
            deletions.remove(key, finished);
            finished.complete(null);
            return CompletableFuture.failedFuture(engine.refusal(q.name(), "deleting subscription '" + subscription
                    + "'", e));
        }
        SubscriptionDispatcher d = q.removeDispatcher(subscription);
        if (d != null) {
            for (Consumer c : d.cancelAll(ErrorCode.SUBSCRIPTION_NOT_FOUND, "subscription deleted")) {
                engine.releaseConsumer(c);
            }
        }
        // the records from its cursor stay until the deletion is durable: a failed write puts it back
        CompletableFuture<Void> done = new CompletableFuture<>();
        q.changing(subscription, new BrokerQueue.Change(was.committed(), true, done));
        CompletableFuture<Void> result = removed.handleAsync((v, e) -> {
            q.changed(subscription);
            done.complete(null);
            if (e != null) {
                putBack(q, was);
                throw engine.refusal(q.name(), "deleting subscription '" + subscription + "'", e);
            }
            // records only it held go now
            q.releaseNow();
            return (Void) null;
        }, q.executor()).thenApplyAsync(v -> {
            String owner = structure.forgetSubscription(q.name(), subscription);
            if (!owner.isEmpty()) {
                quotas.releaseSubscription(owner);
            }
            activity.forgetSubscription(q.name(), subscription);
            engine.counted("subscriptions-deleted", expired ? "expired" : "request");
            events.event(expired ? "subscription.expired" : "subscription.deleted", principal, q.name(), subscription,
                    expired ? Map.of("idleExpiry", Durations.format(activity.idleExpiry())) : Map.of());
            return (Void) null;
        }, admin);
        result.whenComplete((v, e) -> {
            deletions.remove(key, finished);
            finished.complete(null);
        });
        return result;
    }

    /**
     * The deletion of a subscription under way, catalog included, or null: a subscription that
     * is gone from the store while its owner is still recorded is being deleted, not created.
     */
    CompletableFuture<Void> deletion(String queue, String subscription) {
        return deletions.get(key(queue, subscription));
    }

    private static String key(String queue, String subscription) {
        return queue + '\u0000' + subscription;
    }

    /**
     * Why the subscription cannot be {@code deleted} or moved now, or null: a consumer is
     * attaching to it (its dispatcher would be made from the state about to change), or another
     * seek or deletion of it is being written.
     */
    private static RequestException busy(BrokerQueue q, String subscription, String doing) {
        if (q.opening(subscription)) {
            return new RequestException(ErrorCode.INVALID_REQUEST, "a consumer is attaching to subscription '"
                    + subscription + "' of queue '" + q.name() + "'; retry once it has attached (it is " + doing
                    + " with its consumers)");
        }
        if (q.changing(subscription) != null) {
            return new RequestException(ErrorCode.INVALID_REQUEST, "subscription '" + subscription + "' of queue '"
                    + q.name() + "' is being moved or deleted; retry once that is done");
        }
        return null;
    }

    /**
     * A seek or deletion applied in memory could not be written: the subscription's state before
     * it comes back in memory (and is written, if the store still writes), so what the broker
     * serves matches what the client was told: nothing changed.
     */
    private void putBack(BrokerQueue q, SubscriptionSnapshot was) {
        org.securebroker.store.subscription.Subscriptions subs = q.log().subscriptions();
        try {
            if (subs.get(was.name()).isEmpty()) {
                subs.create(was.name(), was.committed());
            } else {
                subs.seek(was.name(), was.committed());
            }
            for (OffsetRange r : was.ackedAbove()) {
                subs.ackRange(was.name(), r.from(), r.to());
            }
        } catch (RuntimeException e) {
            LOG.error("queue '{}': subscription '{}' could not be put back as it was ({}); the state the store "
                    + "recovers at the next start is what counts", q.name(), was.name(), e.getMessage());
        }
    }

    // ---- purge

    /**
     * Acknowledges every message stored so far for every subscription and releases them; a queue
     * without subscriptions drops them too. Deliveries of purged messages in flight are not
     * delivered again (an acknowledgement of one is accepted and changes nothing).
     *
     * @return how many messages were removed: those some subscription had not acknowledged
     */
    public CompletableFuture<Long> purge(String queue, String principal) {
        return onQueue(queue, q -> {
            Log log = q.log();
            long end = log.endOffset();
            long start = log.startOffset();
            long purged = q.depth();
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            try {
                for (SubscriptionSnapshot s : log.subscriptions().list()) {
                    if (s.committed() < end) {
                        acks.add(log.subscriptions().ackRange(s.name(), s.committed(), end));
                    }
                }
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(engine.refusal(queue, "purging", e));
            }
            for (SubscriptionSnapshot s : log.subscriptions().list()) {
                SubscriptionDispatcher d = q.dispatcherOrNull(s.name());
                if (d != null) {
                    d.overflowed(end);
                }
            }
            CompletableFuture<Long> result = new CompletableFuture<>();
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).whenComplete((v, e) ->
                    q.executor().execute(() -> {
                        if (e != null) {
                            result.completeExceptionally(engine.refusal(queue, "purging", e));
                            return;
                        }
                        if (!q.isDeleted() && end > log.startOffset()) {
                            log.releaseBelow(end);
                        }
                        q.releaseNow();
                        engine.counted("purged", "messages");
                        events.event("queue.purged", principal, queue, "", Map.of("purged", Long.toString(purged),
                                "belowOffset", Long.toString(end)));
                        result.complete(purged);
                    }));
            return result;
        });
    }

    // ---- browse

    /**
     * Reads messages without consuming: no subscription, cursor or delivery count changes. Reads
     * go through the recently stored messages first, as deliveries do. Sizes are the messages'
     * encoded sizes in BROWSE_RESULT ({@link WireSizes#browsedMessageSize}). At least one message
     * is returned if any is retained at or after {@code fromOffset}, then at most
     * {@code maxMessages} and {@code maxBytes}; never more than {@code frameRoom}, the bytes one
     * answer frame leaves for its messages: a first message larger than that is refused
     * ({@code MESSAGE_TOO_LARGE}, naming its offset and size) instead of being sent in a frame
     * the client would refuse. What is read from the store is bounded by the same sizes.
     *
     * @param frameRoom the negotiated frame size less {@link WireSizes#BROWSE_RESULT_OVERHEAD}
     */
    public CompletableFuture<BrowseResult> browse(String queue, long fromOffset, int maxMessages, long maxBytes,
                                                  long frameRoom) {
        if (maxMessages < 1 || maxMessages > 1000 || maxBytes < 1) {
            return CompletableFuture.failedFuture(new RequestException(ErrorCode.INVALID_REQUEST, "a browse reads 1 to "
                    + "1000 messages (maxMessages " + maxMessages + ") and at least 1 byte (maxBytes " + maxBytes
                    + ")"));
        }
        if (frameRoom < 1) {
            throw new IllegalArgumentException("frameRoom must be positive, got " + frameRoom);
        }
        return onQueue(queue, q -> {
            try {
                return CompletableFuture.completedFuture(reader.browse(q, fromOffset, maxMessages,
                        Math.min(maxBytes, frameRoom), frameRoom));
            } catch (RequestException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
    }

    // ---- seek

    /**
     * Moves a subscription to a position, in one durable change: every message at or after it is
     * delivered again, every one before it counts as acknowledged. Refused while consumers are
     * attached, and for an offset outside {@code [oldest retained, end]}. By time, the position is
     * the first retained message whose broker timestamp is at or after {@code value} (the end if
     * none), found by a binary search over the retained records: about log2(retained) single
     * record reads.
     *
     * @return the position the subscription now starts at, once it is durable
     */
    public CompletableFuture<Long> seek(String queue, String subscription, SeekKind kind, long value,
                                        String principal) {
        return seek(queue, subscription, kind, value, principal, null);
    }

    /**
     * As {@link #seek(String, String, SeekKind, long, String)}, allowed because
     * {@code expectedOwner} owns the subscription; as for {@link #delete(String, String, String, String)}.
     */
    public CompletableFuture<Long> seek(String queue, String subscription, SeekKind kind, long value,
                                        String principal, String expectedOwner) {
        return onQueue(queue, q -> {
            RequestException changed = ownerChanged(q, subscription, expectedOwner, "move");
            if (changed != null) {
                return CompletableFuture.failedFuture(changed);
            }
            Log log = q.log();
            java.util.Optional<SubscriptionSnapshot> state = log.subscriptions().get(subscription);
            if (state.isEmpty()) {
                return CompletableFuture.failedFuture(notFound(queue, subscription));
            }
            RequestException busy = busy(q, subscription, "moved");
            if (busy != null) {
                return CompletableFuture.failedFuture(busy);
            }
            if (q.attached(subscription)) {
                return CompletableFuture.failedFuture(new RequestException(ErrorCode.INVALID_REQUEST, "subscription '"
                        + subscription + "' of queue '" + queue + "' has consumers attached; detach them before "
                        + "moving it"));
            }
            long start = log.startOffset();
            long end = log.endOffset();
            long position;
            if (kind == SeekKind.OFFSET) {
                if (value < start || value > end) {
                    return CompletableFuture.failedFuture(new RequestException(ErrorCode.INVALID_REQUEST, "offset "
                            + value + " is outside the retained messages of queue '" + queue + "': seek to an offset "
                            + "from " + start + " (the oldest retained) to " + end + " (the end)"));
                }
                position = value;
            } else {
                position = reader.firstAtOrAfter(q, value);
            }
            long from = state.get().committed();
            CompletableFuture<Void> moved;
            try {
                moved = log.subscriptions().seek(subscription, position);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(engine.refusal(queue, "moving subscription '" + subscription
                        + "'", e));
            }
            // a new dispatcher, made from the moved state, serves the next consumer; what the old one
            // still has under way (a dead-lettering) must not settle offsets of the moved subscription
            SubscriptionDispatcher old = q.removeDispatcher(subscription);
            if (old != null) {
                old.retire();
            }
            active(queue, subscription, true);
            CompletableFuture<Void> done = new CompletableFuture<>();
            q.changing(subscription, new BrokerQueue.Change(from, false, done));
            return moved.handleAsync((v, e) -> {
                q.changed(subscription);
                done.complete(null);
                if (e != null) {
                    putBack(q, state.get());
                    throw engine.refusal(queue, "moving subscription '" + subscription + "'", e);
                }
                q.scheduleRelease();
                engine.counted("subscriptions-moved", kind.name().toLowerCase(java.util.Locale.ROOT));
                events.event("subscription.seek", principal, queue, subscription, Map.of("kind",
                        kind.name().toLowerCase(java.util.Locale.ROOT), "value", Long.toString(value), "from",
                        Long.toString(from), "to", Long.toString(position)));
                return position;
            }, q.executor());
        });
    }

    /** The offset below which replay retention lets records go; see {@link QueueReader#replayBound}. */
    long replayBound(BrokerQueue q) {
        return reader.replayBound(q);
    }

    /** Whether the queue's next release lets replay-retained records go; see {@link QueueReader#replayExpired}. */
    boolean replayExpired(BrokerQueue q) {
        return reader.replayExpired(q);
    }

    // ---- reject

    /**
     * Moves a delivery in flight to the queue's dead-letter queue at once, as if its deliveries
     * were used up, with {@code x-rejected-reason} and {@code x-rejected-by}. Refused
     * ({@code INVALID_REQUEST}) when the queue has no dead-letter queue (nothing is dropped) or
     * the offset is not a delivery of the consumer's subscription waiting for settlement.
     */
    public CompletableFuture<Void> reject(Consumer consumer, long offset, String reason, String principal) {
        if (reason.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 1024) {
            return CompletableFuture.failedFuture(new RequestException(ErrorCode.INVALID_REQUEST, "a rejection's reason "
                    + "has at most 1024 bytes"));
        }
        SubscriptionDispatcher d = consumer.dispatcher;
        BrokerQueue q = d.queue();
        CompletableFuture<Void> result = new CompletableFuture<>();
        q.executor().execute(() -> {
            try {
                RequestException refused = d.reject(offset, reason, principal);
                if (refused != null) {
                    result.completeExceptionally(refused);
                    return;
                }
                active(q.name(), d.name(), false);
                events.event("message.rejected", principal, q.name(), d.name(), Map.of("offset",
                        Long.toString(offset), "reason", reason, "deadLetterQueue", q.definition().deadLetterQueue()));
                result.complete(null);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    // ----

    /** Runs {@code work} on the queue's executor; a missing or unavailable queue fails at once. */
    private <T> CompletableFuture<T> onQueue(String queue, java.util.function.Function<BrokerQueue,
            CompletableFuture<T>> work) {
        BrokerQueue q;
        try {
            q = engine.require(queue);
        } catch (RequestException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        q.executor().execute(() -> {
            if (q.isDeleted()) {
                result.completeExceptionally(new RequestException(ErrorCode.QUEUE_NOT_FOUND, "queue '" + queue
                        + "' was deleted"));
                return;
            }
            try {
                work.apply(q).whenComplete((v, e) -> {
                    if (e != null) {
                        result.completeExceptionally(Futures.cause(e));
                    } else {
                        result.complete(v);
                    }
                });
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private static RequestException notFound(String queue, String subscription) {
        return new RequestException(ErrorCode.SUBSCRIPTION_NOT_FOUND, "queue '" + queue + "' has no subscription '"
                + subscription + "'");
    }
}
