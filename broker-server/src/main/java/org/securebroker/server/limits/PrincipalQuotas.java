package org.securebroker.server.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.request.RequestException;

/**
 * What each principal holds against its quotas ({@code quotas} in the configuration): the queues
 * and durable subscriptions it created that still exist, the consumers it has attached now, and
 * two token buckets for its publish rates. Counting is here; who owns what durably is the queue
 * catalog's, which rebuilds these counts at start ({@link #restoreQueue}, {@link #restoreSubscription}).
 *
 * <p>Counts are checked and taken in one atomic step, so concurrent requests never take a
 * principal past its limit; a limit lowered by a reload below what a principal holds refuses
 * new requests until it is back under, and takes nothing away. Every refusal and every throttle
 * is reported to {@link LimitEvents}, marked first of its episode or not ({@link Episodes}).
 *
 * <p>Publish rates are not refused but paced: {@link #publishDelayNanos} says how long a publish
 * must wait so that the principal's rate stays at its limit over time, allowing a burst of one
 * second's worth. The buckets are a generic cell rate algorithm over the injected clock: each
 * principal keeps the time its budget is spent up to (the "theoretical arrival time"), and a
 * publish moves it on by its cost.
 *
 * <p>Thread-safety: thread-safe; no call blocks (called from event loops and the queue threads).
 */
public final class PrincipalQuotas {

    /** Everything unlimited: what an engine uses until the broker hands it the configured quotas. */
    public static final BrokerConfig.Quotas UNLIMITED = new BrokerConfig.Quotas(
            new BrokerConfig.PrincipalQuota(0, 0, 0, 0, 0, 0), java.util.Map.of());

    /** A publish may run this far ahead of its principal's rate before it is paced. */
    private static final long BURST_NANOS = Duration.ofSeconds(1).toNanos();

    private final Clock clock;
    private final Episodes episodes;
    private volatile BrokerConfig.Quotas quotas;
    private volatile LimitEvents events = LimitEvents.NONE;
    private final ConcurrentMap<String, Usage> usage = new ConcurrentHashMap<>();

    /** One principal's counts and buckets. */
    private static final class Usage {
        final AtomicInteger queues = new AtomicInteger();
        final AtomicInteger subscriptions = new AtomicInteger();
        final AtomicInteger consumers = new AtomicInteger();
        /** Guarded by this: when the message and byte budgets are spent up to, in clock nanos. */
        long messagesSpentUntil;
        long bytesSpentUntil;
    }

    /** The counted kinds, with the names metrics, audit and configuration give them. */
    private enum Kind {
        QUEUES("queues", "has created %d queues"),
        SUBSCRIPTIONS("subscriptions", "has created %d durable subscriptions"),
        CONSUMERS("consumers", "has %d consumers attached");

        final String limit;
        final String holds;

        Kind(String limit, String holds) {
            this.limit = limit;
            this.holds = holds;
        }
    }

    public PrincipalQuotas(Clock clock, Episodes episodes, BrokerConfig.Quotas quotas) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.episodes = Objects.requireNonNull(episodes, "episodes");
        this.quotas = Objects.requireNonNull(quotas, "quotas");
    }

    /** Uses these limits from now on (a reload); what principals hold already is kept. */
    public void quotas(BrokerConfig.Quotas next) {
        this.quotas = Objects.requireNonNull(next, "quotas");
    }

    public BrokerConfig.Quotas quotas() {
        return quotas;
    }

    /** Where refusals and throttles are reported. */
    public void events(LimitEvents next) {
        this.events = Objects.requireNonNull(next, "events");
    }

    /** Reports a refusal of another limit (queue depth) the same way, first of episode marked. */
    public Refusal report(String limit, String subject, String principal, long value, String setting) {
        Refusal r = episodes.refusal(limit, subject, principal, value, setting);
        events.refused(r);
        return r;
    }

    private Usage usage(String principal) {
        return usage.computeIfAbsent(principal, p -> new Usage());
    }

    // ---- queues ----

    /**
     * Counts a queue {@code principal} is about to create.
     *
     * @throws RequestException QUOTA_EXCEEDED at the limit
     */
    public void acquireQueue(String principal) {
        acquire(Kind.QUEUES, principal, usage(principal).queues, quotas.of(principal).queues());
    }

    /** A queue it created was deleted, or its creation failed. */
    public void releaseQueue(String principal) {
        release(principal, Kind.QUEUES);
    }

    /** At start: a queue the catalog says it created. */
    public void restoreQueue(String principal) {
        usage(principal).queues.incrementAndGet();
    }

    // ---- subscriptions ----

    /**
     * Counts a durable subscription {@code principal} is about to create.
     *
     * @throws RequestException QUOTA_EXCEEDED at the limit
     */
    public void acquireSubscription(String principal) {
        acquire(Kind.SUBSCRIPTIONS, principal, usage(principal).subscriptions, quotas.of(principal).subscriptions());
    }

    /** A subscription it created is gone (its queue was deleted), or its creation failed. */
    public void releaseSubscription(String principal) {
        release(principal, Kind.SUBSCRIPTIONS);
    }

    /** At start: a subscription the catalog says it created. */
    public void restoreSubscription(String principal) {
        usage(principal).subscriptions.incrementAndGet();
    }

    // ---- consumers ----

    /**
     * Counts a consumer {@code principal} is about to attach (on any connection).
     *
     * @throws RequestException QUOTA_EXCEEDED at the limit
     */
    public void acquireConsumer(String principal) {
        acquire(Kind.CONSUMERS, principal, usage(principal).consumers, quotas.of(principal).consumers());
    }

    /** A consumer it attached was detached; the caller makes sure this happens once per consumer. */
    public void releaseConsumer(String principal) {
        release(principal, Kind.CONSUMERS);
    }

    /** What {@code principal} holds now: queues, subscriptions, consumers. */
    public int[] held(String principal) {
        Usage u = usage.get(principal);
        return u == null ? new int[3] : new int[] {u.queues.get(), u.subscriptions.get(), u.consumers.get()};
    }

    private void acquire(Kind kind, String principal, AtomicInteger count, int limit) {
        while (true) {
            int now = count.get();
            if (limit > 0 && now >= limit) {
                report(kind.limit, principal, principal, limit, setting(principal, kind.limit));
                throw new RequestException(ErrorCode.QUOTA_EXCEEDED, "principal '" + principal + "' "
                        + String.format(kind.holds, now) + ", the limit of " + setting(principal, kind.limit)
                        + "; " + (kind == Kind.CONSUMERS ? "detach one first" : "delete one first")
                        + " or ask an operator to raise the limit");
            }
            if (count.compareAndSet(now, now + 1)) {
                return;
            }
        }
    }

    private void release(String principal, Kind kind) {
        Usage u = usage.get(principal);
        if (u == null) {
            return;
        }
        AtomicInteger count = switch (kind) {
            case QUEUES -> u.queues;
            case SUBSCRIPTIONS -> u.subscriptions;
            case CONSUMERS -> u.consumers;
        };
        // never below zero: a release without its acquire (a bug elsewhere) must not grant extra room
        count.updateAndGet(n -> Math.max(0, n - 1));
    }

    /** The configuration key that sets {@code limit} for {@code principal}, for the operator. */
    private String setting(String principal, String limit) {
        return quotas.principals().containsKey(principal) ? "quotas.principals[" + principal + "]." + limit
                : "quotas." + limit;
    }

    // ---- publish rates ----

    /**
     * Charges a publish of {@code messages} messages with {@code bytes} payload bytes to
     * {@code principal}'s rates and says how long it must wait before it is stored: 0 while the
     * principal stays within its {@code publishRate} and {@code publishByteRate} (with a burst of
     * one second's worth), else the time until its budget has caught up. A publish is never
     * refused for its rate: the broker holds it back (and, with the connection's in-flight limit,
     * stops reading that connection), so a producer that goes too fast simply goes slower. Each
     * pacing is reported as a {@code publish-rate} or {@code publish-byte-rate} refusal.
     *
     * <p>Every call charges: call it once per publish.
     *
     * @return nanoseconds to wait, 0 for none
     */
    public long publishDelayNanos(String principal, int messages, long bytes) {
        BrokerConfig.PrincipalQuota q = quotas.of(principal);
        long messageRate = q.publishRate();
        long byteRate = q.publishByteRate();
        if (messageRate <= 0 && byteRate <= 0) {
            return 0;
        }
        long now = nanos();
        Usage u = usage(principal);
        long messageDelay;
        long byteDelay;
        synchronized (u) {
            messageDelay = messageRate <= 0 ? 0 : charge(u, true, now, messages, messageRate);
            byteDelay = byteRate <= 0 ? 0 : charge(u, false, now, bytes, byteRate);
        }
        if (messageDelay > 0) {
            report("publish-rate", principal, principal, messageRate, setting(principal, "publishRate"));
        }
        if (byteDelay > 0) {
            report("publish-byte-rate", principal, principal, byteRate, setting(principal, "publishByteRate"));
        }
        return Math.max(messageDelay, byteDelay);
    }

    /** Moves one bucket on by {@code cost} units at {@code rate} per second; returns the wait. */
    private static long charge(Usage u, boolean messages, long now, long cost, long rate) {
        long spentUntil = messages ? u.messagesSpentUntil : u.bytesSpentUntil;
        // cost / rate seconds, in nanos, without overflow for large byte counts
        long interval = (long) Math.ceil(cost * 1e9 / rate);
        long next = Math.max(spentUntil, now) + interval;
        if (messages) {
            u.messagesSpentUntil = next;
        } else {
            u.bytesSpentUntil = next;
        }
        return Math.max(0, next - now - BURST_NANOS);
    }

    private long nanos() {
        Instant t = clock.instant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
