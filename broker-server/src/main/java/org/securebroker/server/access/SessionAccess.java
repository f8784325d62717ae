package org.securebroker.server.access;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.PeerText;
import org.securebroker.server.request.Names;
import org.securebroker.server.request.RequestException;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.rbac.Action;
import org.securebroker.server.rbac.Decision;
import org.securebroker.server.rbac.Policy;

/**
 * One session's authorization: decides each (action, resource) once per policy version and
 * principal roles, and audits what it decides. A denial is written every time it happens; the
 * first allow of an (action, resource) on this connection is written at once, and repeats are
 * counted and written as one entry with the count and time span at most
 * {@code audit.allowAggregation} later (or when the connection closes or the policy changes).
 *
 * <p>The cache is checked against {@link AccessControl#generation()} and the policy in force on
 * every call, so a policy reload or a users file change takes effect on the next command. Held
 * rights (a consumer's right to consume) are re-checked by the session when told of the change.
 *
 * <p>Thread-safety: not thread-safe; confined to the session's event loop.
 */
public final class SessionAccess {

    /** Distinct resources remembered per action before the cache starts over. */
    static final int MAX_CACHED_RESOURCES = 1024;

    private final AccessControl control;
    private final String source;
    private final String connection;
    private final Map<Action, Map<String, Entry>> cache = new EnumMap<>(Action.class);
    private final List<Entry> pending = new ArrayList<>();

    private final Supplier<Identity> who;
    private final ScheduledExecutorService loop;
    private ScheduledFuture<?> flush;
    private Identity identity;
    private Policy policy;
    private long generation = -1;
    private Set<String> roles = Set.of();

    SessionAccess(AccessControl control, String source, String connection, Supplier<Identity> who,
                  ScheduledExecutorService loop) {
        this.control = control;
        this.source = source;
        this.connection = connection;
        this.who = who;
        this.loop = loop;
    }

    /** The session's authenticated principal: what quotas count against. */
    public String principal() {
        return who.get().principal();
    }

    /**
     * Allows the action or throws.
     *
     * @throws RequestException NOT_AUTHORIZED naming the principal, action and resource, or
     *     AUDIT_UNAVAILABLE when the decision could not be recorded
     */
    public void require(Action action, String resource) {
        if (!control.enforced()) {
            return;
        }
        Entry e = entry(action, resource);
        if (e.decision.allowed()) {
            allowed(e);
            return;
        }
        denied(e);
        throw new RequestException(ErrorCode.NOT_AUTHORIZED, "'" + identity.principal() + "' is not authorized to "
                + describe(action, resource) + " (an operator can see why with 'broker rbac explain')");
    }

    /**
     * Re-checks a right the session holds (after a policy or roles change); a lost right is
     * audited as a denial.
     */
    public boolean stillAllowed(Action action, String resource) {
        if (!control.enforced()) {
            return true;
        }
        if (!control.auditWritable()) {
            return false;
        }
        Entry e = entry(action, resource);
        if (!e.decision.allowed()) {
            denied(e);
            return false;
        }
        return true;
    }

    /** Whether the policy allows it, without recording anything (for filtering what a listing shows). */
    public boolean permits(Action action, String resource) {
        return !control.enforced() || entry(action, resource).decision.allowed();
    }

    /**
     * Allows the action or throws, like {@link #require}, but writes the allow every time and
     * returns when it is durable in the audit log, so that an administrative change is made
     * only once its authorization is on record.
     */
    public java.util.concurrent.CompletableFuture<Long> requireRecorded(Action action, String resource) {
        if (!control.enforced()) {
            return java.util.concurrent.CompletableFuture.completedFuture(0L);
        }
        Entry e = entry(action, resource);
        if (!e.decision.allowed()) {
            require(action, resource);
        }
        e.recorded = true;
        return control.record(decision(e).detail("count", 1).build());
    }

    /**
     * Checks a name the principal was authorized to act on (authorization comes first, so an
     * unauthorized principal learns nothing about what names are valid); an invalid one is
     * recorded as {@code request.invalid} with the name escaped and bounded, and refused.
     *
     * @throws RequestException INVALID_REQUEST naming what is allowed
     */
    public void requireValidName(Action action, Names.Kind kind, String name) {
        try {
            Names.require(kind, name);
        } catch (RequestException e) {
            record(AuditEvent.of("request.invalid").action(action.wireName()).resource(PeerText.escape(name))
                    .decision("deny").reason("invalid " + kind + " name"));
            throw e;
        }
    }

    /** Records an event about this session (principal, source and mechanism filled in). */
    public java.util.concurrent.CompletableFuture<Long> record(AuditEvent.Builder event) {
        return control.record(about(event).build());
    }

    /** The policy version decisions are made under. */
    public String policyVersion() {
        refresh();
        return policy.version();
    }

    /** Writes the counted allows; called when the session closes. */
    public void close() {
        if (flush != null) {
            flush.cancel(false);
            flush = null;
        }
        flushAllows();
    }

    private Entry entry(Action action, String resource) {
        if (!control.auditWritable()) {
            throw new RequestException(ErrorCode.AUDIT_UNAVAILABLE, "the audit log cannot be written; the broker "
                    + "refuses operations it cannot record");
        }
        refresh();
        Map<String, Entry> byResource = cache.computeIfAbsent(action, a -> new HashMap<>());
        Entry e = byResource.get(resource);
        if (e == null) {
            if (byResource.size() >= MAX_CACHED_RESOURCES) {
                flushAllows();
                byResource.clear();
            }
            e = new Entry(action, resource, policy.decide(roles, action, resource));
            byResource.put(resource, e);
        }
        return e;
    }

    private void refresh() {
        Policy current = control.policy();
        long g = control.generation();
        Identity now = who.get();
        if (current != policy || g != generation || !Objects.equals(now, identity)) {
            flushAllows();
            cache.clear();
            policy = current;
            generation = g;
            identity = now;
            roles = current.rolesOf(control.subject(identity));
        }
    }

    private void allowed(Entry e) {
        long now = control.clock().millis();
        if (!e.recorded || control.allowAggregation().isZero()) {
            if (control.record(decision(e).detail("count", 1).build()).isCompletedExceptionally()) {
                // refused at once (the log is overloaded or failed): the operation must not go ahead unrecorded
                throw new RequestException(ErrorCode.AUDIT_UNAVAILABLE, "the audit log cannot record this now (it "
                        + "failed or is overloaded); the broker refuses operations it cannot record");
            }
            e.recorded = true;
            return;
        }
        if (e.pendingCount++ == 0) {
            e.pendingFirst = now;
            pending.add(e);
        }
        e.pendingLast = now;
        if (flush == null) {
            flush = loop.schedule(() -> {
                flush = null;
                flushAllows();
            }, control.allowAggregation().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void denied(Entry e) {
        control.record(decision(e).build());
    }

    private void flushAllows() {
        for (Entry e : pending) {
            if (e.pendingCount > 0) {
                control.record(decision(e).detail("count", e.pendingCount)
                        .detail("firstTime", Instant.ofEpochMilli(e.pendingFirst).toString())
                        .detail("lastTime", Instant.ofEpochMilli(e.pendingLast).toString()).build());
                e.pendingCount = 0;
            }
        }
        pending.clear();
    }

    private AuditEvent.Builder decision(Entry e) {
        Decision d = e.decision;
        return about(AuditEvent.of(d.allowed() ? "authz.allow" : "authz.deny"))
                .action(e.action.wireName())
                .resource(e.resource)
                .decision(d.allowed() ? "allow" : "deny")
                .rule(d.ruleId())
                .policy(policy.version());
    }

    private AuditEvent.Builder about(AuditEvent.Builder event) {
        event.source(source).detail("connection", connection);
        if (identity != null) {
            event.principal(identity.principal()).mechanism(identity.mechanism());
        }
        return event;
    }

    private static String describe(Action action, String resource) {
        return switch (action) {
            case PUBLISH -> "publish to queue " + PeerText.quote(resource);
            case CONSUME -> "consume from queue " + PeerText.quote(resource);
            case CREATE, DELETE, PURGE -> action.wireName() + " queue " + PeerText.quote(resource);
            case MANAGE_USERS -> "manage user " + PeerText.quote(resource);
            case READ_AUDIT -> "read the audit log";
            case READ_METRICS -> "read the metrics";
            case ADMIN -> "administer the broker";
        };
    }

    /** A cached decision and the allows counted since it was last written. */
    private static final class Entry {
        final Action action;
        final String resource;
        final Decision decision;
        boolean recorded;
        long pendingCount;
        long pendingFirst;
        long pendingLast;

        Entry(Action action, String resource, Decision decision) {
            this.action = action;
            this.resource = resource;
            this.decision = decision;
        }
    }
}
