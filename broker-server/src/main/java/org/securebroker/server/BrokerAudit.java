package org.securebroker.server;

import io.netty.channel.Channel;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.limits.Refusal;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.auth.User;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.identity.MechanismNames;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.Subject;
import org.securebroker.server.session.ConnectionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the broker itself writes to the audit log: every authentication and its outcome, failed
 * TLS handshakes (a refused client certificate is a failed authentication), renewals and expiries
 * of sessions, reloads, changes of the users file, start and stop. Authorization decisions are
 * written by the sessions ({@link org.securebroker.server.access.SessionAccess}).
 *
 * <p>No secret reaches the log: users are recorded by a fingerprint of their entry (which holds
 * only hashes), never by a password or token.
 *
 * <p>Thread-safety: thread-safe.
 */
final class BrokerAudit implements ConnectionListener {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerAudit.class);

    private final AccessControl access;

    BrokerAudit(AccessControl access) {
        this.access = access;
    }

    @Override
    public void handshakeFailed(Channel channel, String reason) {
        access.record(AuditEvent.of("auth.failure").source(address(channel)).mechanism("TLS").reason(reason).build());
    }

    @Override
    public void authenticated(Channel channel, Identity identity) {
        AuditEvent.Builder e = AuditEvent.of("auth.success").principal(identity.principal()).source(address(channel))
                .mechanism(identity.mechanism()).detail("connection", channel.id().asShortText());
        access.record(tokenRoles(e, channel, identity).build());
    }

    @Override
    public void authenticationFailed(Channel channel, String user, String mechanism, String reason) {
        access.record(AuditEvent.of("auth.failure").principal(user).source(address(channel)).mechanism(mechanism)
                .reason(reason).build());
    }

    @Override
    public void reauthenticated(Channel channel, Identity identity) {
        AuditEvent.Builder e = AuditEvent.of("auth.renew").principal(identity.principal()).source(address(channel))
                .mechanism(identity.mechanism()).detail("connection", channel.id().asShortText());
        access.record(tokenRoles(e, channel, identity).build());
    }

    /**
     * For a token session: the roles claim values, the roles they and the policy's bindings give
     * under the policy in force, and the values {@code tokenRoles} does not map, which grant
     * nothing. Those are logged at DEBUG once per login, without the values themselves (the audit
     * entry holds them, escaped).
     */
    private AuditEvent.Builder tokenRoles(AuditEvent.Builder e, Channel channel, Identity identity) {
        if (!MechanismNames.JWT.equals(identity.mechanism())) {
            return e;
        }
        Policy policy = access.policy();
        List<String> unmapped = identity.roles().stream().distinct()
                .filter(value -> !policy.tokenRoleBindings().containsKey(value)).toList();
        e.detail("claimRoles", String.join(",", identity.roles()))
                .detail("roles", String.join(",", policy.rolesOf(Subject.of(identity))));
        if (!unmapped.isEmpty()) {
            e.detail("unmappedClaimRoles", String.join(",", unmapped));
            LOG.debug("{}: the token of '{}' carries {} roles claim value(s) that the policy's tokenRoles does not map; "
                    + "they grant nothing (audit: details.unmappedClaimRoles)", address(channel), identity.principal(),
                    unmapped.size());
        }
        return e;
    }

    @Override
    public void sessionExpired(Channel channel, String principal, String mechanism) {
        access.record(AuditEvent.of("auth.expired").principal(principal).source(address(channel)).mechanism(mechanism)
                .reason("the session's credentials expired without re-authentication").build());
    }

    void event(AuditEvent.Builder event) {
        access.record(event.build());
    }

    /**
     * The first refusal of an episode of a limit (a quota, a connection slot, a queue's depth):
     * later refusals of the episode are counted, not recorded one by one.
     */
    void limitExceeded(Refusal r) {
        AuditEvent.Builder e = AuditEvent.of("limit.exceeded").principal(r.principal()).decision("deny")
                .reason("the limit of " + r.value() + " (" + r.setting() + ") is reached")
                .detail("limit", r.limit());
        if (r.principal() == null) {
            if (!"*".equals(r.subject())) {
                e.source(r.subject());
            }
        } else if (!r.subject().equals(r.principal())) {
            e.resource(r.subject());
        }
        access.record(e.build());
    }

    /**
     * A stored message that fails its broker signature, found when it was to be dead-lettered: it
     * was changed at rest, and the broker refuses to sign it anew.
     */
    void messageTampered(String queue, long offset, String reason) {
        access.record(AuditEvent.of("message.tampered").action("dead-letter").resource(queue).decision("deny")
                .reason(reason).detail("offset", Long.toUnsignedString(offset)).build());
    }

    /**
     * Records what changed in the users file, one entry per user added, removed or changed,
     * with fingerprints of the entry before and after.
     */
    void usersChanged(Collection<User> before, Collection<User> after) {
        Map<String, User> old = byName(before);
        Map<String, User> now = byName(after);
        TreeSet<String> names = new TreeSet<>(old.keySet());
        names.addAll(now.keySet());
        for (String name : names) {
            User b = old.get(name);
            User a = now.get(name);
            if (b != null && a != null && fingerprint(b).equals(fingerprint(a))) {
                continue;
            }
            String what = b == null ? "added" : a == null ? "removed" : a.disabled() && !b.disabled() ? "disabled"
                    : "changed";
            access.record(AuditEvent.of("admin.user." + what).action("manage-users").resource(name)
                    .reason("users file changed")
                    .detail("before", b == null ? null : fingerprint(b))
                    .detail("after", a == null ? null : fingerprint(a))
                    .detail("roles", a == null ? null : String.join(",", a.roles()))
                    .build());
        }
    }

    private static Map<String, User> byName(Collection<User> users) {
        Map<String, User> out = new TreeMap<>();
        for (User u : users) {
            out.put(u.name(), u);
        }
        return out;
    }

    /** A fingerprint of everything a user entry holds (its hashes, roles and state), never a secret itself. */
    private static String fingerprint(User u) {
        return AuditEvent.fingerprint(String.join("\u0000", u.name(), Objects.toString(u.passwordHash()),
                u.scram() == null ? "" : java.util.Base64.getEncoder().encodeToString(u.scram().storedKey()), String.join(",", u.roles()), Boolean.toString(u.disabled()),
                Objects.toString(u.created())));
    }

    /** A certificate as the audit log names it: subject, expiry and SHA-256 fingerprint. */
    static String certificate(java.security.cert.X509Certificate c) {
        try {
            return c.getSubjectX500Principal().getName() + ", notAfter " + c.getNotAfter().toInstant() + ", sha256:"
                    + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(c.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            return c.getSubjectX500Principal().getName();
        }
    }

    private static String address(Channel channel) {
        return String.valueOf(channel.remoteAddress());
    }
}
