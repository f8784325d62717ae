package org.securebroker.server.access;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.server.rbac.Subject;

/**
 * The broker-wide half of authorization: the policy in force, the users file (whose roles count
 * as configured roles), and the audit log every decision goes to. Each session gets its own
 * {@link SessionAccess}, which caches decisions until {@link #generation()} moves: a policy
 * reload or a users file change.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class AccessControl {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AccessControl.class);

    private final PolicyHolder policies;
    private final UserStore users;
    private final AuditLog audit;
    private volatile Duration allowAggregation;
    private final Clock clock;
    private final boolean enforced;
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final List<java.util.function.Consumer<AuditEvent>> observers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<TrafficObserver> trafficObservers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicLong lastLostReport = new AtomicLong(Long.MIN_VALUE / 2);

    private AccessControl(PolicyHolder policies, UserStore users, AuditLog audit, Duration allowAggregation, Clock clock,
                          boolean enforced) {
        this.policies = policies;
        this.users = users;
        this.audit = audit;
        this.allowAggregation = allowAggregation;
        this.clock = clock;
        this.enforced = enforced;
    }

    /** Authorization by {@code policies}, recorded in {@code audit}. */
    public static AccessControl enforcing(PolicyHolder policies, UserStore users, AuditLog audit,
                                          Duration allowAggregation, Clock clock) {
        return new AccessControl(policies, users, audit, allowAggregation, clock, true);
    }

    /**
     * No authorization and no audit: every authenticated principal may do everything. Only for
     * measuring what authorization and auditing cost (the configuration's benchmark switch).
     */
    public static AccessControl unenforcedForBenchmarks(PolicyHolder policies, UserStore users, Clock clock) {
        return new AccessControl(policies, users, null, Duration.ZERO, clock, false);
    }

    public boolean enforced() {
        return enforced;
    }

    /** The policy in force. */
    public Policy policy() {
        return policies.current();
    }

    /** Moves whenever cached decisions may be stale: the policy or a user's roles changed. */
    public long generation() {
        return generation.get();
    }

    /** Invalidates every session's cached decisions; sessions re-check what they hold. */
    public void invalidate() {
        generation.incrementAndGet();
    }

    /** Learns how many messages principals publish and consume (the anomaly detector watches rates). */
    @FunctionalInterface
    public interface TrafficObserver {
        void counted(String principal, String action, int messages);
    }

    /** Adds an observer of message counts. */
    public void addTrafficObserver(TrafficObserver observer) {
        trafficObservers.add(observer);
    }

    /** Messages a principal published or was delivered ({@code action} publish or consume). */
    public void traffic(String principal, String action, int messages) {
        for (TrafficObserver o : trafficObservers) {
            o.counted(principal, action, messages);
        }
    }

    /**
     * Also hands every event to {@code observer} (metrics count them), whether or not an audit
     * log records it. Observers run on the recording thread and must return quickly.
     */
    public void addObserver(java.util.function.Consumer<AuditEvent> observer) {
        observers.add(observer);
    }

    /** Whether the audit log accepts entries; when it does not, the broker refuses what it cannot record. */
    public boolean auditWritable() {
        return audit == null || audit.writable();
    }

    /**
     * Records an event; completes with its sequence number (0 when auditing is off). A failure
     * is logged here (at most once a second, with a count), so callers that do not wait for the
     * entry need not look at the result.
     */
    public CompletableFuture<Long> record(AuditEvent event) {
        for (java.util.function.Consumer<AuditEvent> o : observers) {
            o.accept(event);
        }
        if (audit == null) {
            return CompletableFuture.completedFuture(0L);
        }
        CompletableFuture<Long> written = audit.append(event);
        written.whenComplete((seq, error) -> {
            if (error != null) {
                lost(error);
            }
        });
        return written;
    }

    private void lost(Throwable error) {
        long count = lost.incrementAndGet();
        long now = clock.millis();
        long last = lastLostReport.get();
        if (now - last >= 1000 && lastLostReport.compareAndSet(last, now)) {
            Throwable cause = org.securebroker.server.request.Futures.cause(error);
            LOG.error("{} audit entries could not be written so far: {}", count, cause.getMessage());
        }
    }

    /** How long repeated allows are counted before they are written (a configuration reload may change it). */
    public void allowAggregation(Duration value) {
        this.allowAggregation = value;
    }

    Duration allowAggregation() {
        return allowAggregation;
    }

    Clock clock() {
        return clock;
    }

    /**
     * Who the policy sees: for a principal of the users file, the roles the file gives it now
     * (so that a role removed from a user is gone from its live sessions); otherwise the roles
     * its token or certificate mapping asserted at authentication.
     */
    Subject subject(Identity identity) {
        List<String> asserted = identity.roles();
        if (identity.user()) {
            asserted = users.find(identity.principal()).map(User::roles).orElse(List.of());
        }
        return new Subject(identity.principal(), identity.mechanism(), asserted, identity.user());
    }

    /**
     * A new session's view.
     *
     * @param source the client's address
     * @param connection an id of the connection, to tell a principal's connections apart
     * @param who the session's identity now (it changes when a token is renewed)
     * @param eventLoop the session's event loop, which writes aggregated allows later
     */
    public SessionAccess session(String source, String connection, java.util.function.Supplier<Identity> who,
                                 java.util.concurrent.ScheduledExecutorService eventLoop) {
        return new SessionAccess(this, source, connection, who, eventLoop);
    }
}
