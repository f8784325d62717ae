package org.securebroker.server;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.limits.Refusal;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.ChangeNote;
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
 * of sessions, reloads, changes of the users file and the producer-keys file (with who made them
 * when the CLI left a {@link ChangeNote} that describes the new content), start and stop. Authorization decisions are
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

    /** A live session closed because its client certificate is now revoked (a CRL reload). */
    void certificateRevoked(Channel channel, Identity identity, String serial, String issuer) {
        access.record(AuditEvent.of("auth.revoked").principal(identity == null ? null : identity.principal())
                .source(address(channel)).mechanism(identity == null ? "TLS" : identity.mechanism())
                .reason("certificate revoked").detail("serial", serial).detail("issuer", issuer)
                .detail("connection", channel.id().asShortText()).build());
    }

    /** Records an event; completes once it is on disk (see {@link AccessControl#record}). */
    CompletableFuture<Long> event(AuditEvent.Builder event) {
        return access.record(event.build());
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
     * A subscription deleted (by request or idle expiry) or moved, a queue purged, a message
     * rejected to its dead-letter queue: the change itself, after the decision that allowed it.
     */
    void subscriptionEvent(String type, String principal, String queue, String subscription,
                           Map<String, String> details) {
        AuditEvent.Builder e = AuditEvent.of(type).resource(queue).decision("allow");
        if (!principal.isEmpty()) {
            e.principal(principal);
        }
        if (!subscription.isEmpty()) {
            e.detail("subscription", subscription);
        }
        new TreeMap<>(details).forEach(e::detail);
        access.record(e.build());
    }

    /**
     * Records what changed in the users file, one entry per user added, removed or changed, with
     * fingerprints of the entry before and after, and who changed it when the note beside the
     * file says so: {@code admin.user.added}, {@code .removed}, {@code .disabled},
     * {@code .changed} while the broker runs; {@code users.changed-offline} for a change found at
     * start.
     *
     * @param after the users now in force, by name
     * @param who the author, if the note beside the file describes this content
     * @param digest the users file's digest now
     * @return completes once every entry is on disk, or exceptionally if one cannot be written
     */
    CompletableFuture<Void> usersChanged(List<WatchedFiles.Difference> changes, Map<String, User> after,
                                         Optional<WatchedFiles.Attribution> who, boolean offline, String digest) {
        List<CompletableFuture<Long>> written = new ArrayList<>();
        for (WatchedFiles.Difference d : changes) {
            User a = after.get(d.name());
            String kind = a != null && d.before() != null && a.disabled()
                    && d.before().equals(fingerprint(a.withDisabled(false))) ? "disabled" : d.kind();
            AuditEvent.Builder e = AuditEvent.of(offline ? "users.changed-offline" : "admin.user." + kind)
                    .action("manage-users").resource(d.name())
                    .detail("change", offline ? kind : null)
                    .detail("before", d.before())
                    .detail("after", d.after())
                    .detail("roles", a == null ? null : String.join(",", a.roles()))
                    .detail("fileDigest", digest);
            attribute(e, who, offline ? "the users file changed while the broker was stopped"
                    : "users file changed");
            written.add(access.record(e.build()));
        }
        return CompletableFuture.allOf(written.toArray(CompletableFuture[]::new));
    }

    /**
     * Records what changed in the producer-keys file, one entry per principal whose keys changed,
     * naming the key ids added and removed: {@code key.producer.changed} while the broker runs,
     * {@code keys.changed-offline} for a change found at start.
     *
     * @return completes once every entry is on disk, or exceptionally if one cannot be written
     */
    CompletableFuture<Void> producerKeysChanged(List<WatchedFiles.Difference> changes,
                                                Optional<WatchedFiles.Attribution> who, boolean offline, String file,
                                                String digest) {
        List<CompletableFuture<Long>> written = new ArrayList<>();
        for (WatchedFiles.Difference d : changes) {
            AuditEvent.Builder e = AuditEvent.of(offline ? "keys.changed-offline" : "key.producer.changed")
                    .resource(d.name())
                    .detail("change", d.kind())
                    .detail("added", blankToNull(WatchedFiles.keyIdsOnlyIn(d.after(), d.before())))
                    .detail("removed", blankToNull(WatchedFiles.keyIdsOnlyIn(d.before(), d.after())))
                    .detail("file", file)
                    .detail("fileDigest", digest);
            attribute(e, who, offline ? "the producer-keys file changed while the broker was stopped"
                    : "producer-keys file changed");
            written.add(access.record(e.build()));
        }
        return CompletableFuture.allOf(written.toArray(CompletableFuture[]::new));
    }

    /**
     * The actor and command of the note, or a reason saying that nothing names one. The note's
     * actor is the entry's principal only when the note's change starts from the content the
     * broker last saw: otherwise the file changed in several steps, the note names only the last
     * one, and a difference may be another step's, so the actor and command are details only.
     */
    private static void attribute(AuditEvent.Builder e, Optional<WatchedFiles.Attribution> who, String what) {
        if (who.isEmpty()) {
            e.reason(what + "; no change note describes this content (changed by something other than the broker's "
                    + "CLI), so the actor is unknown");
            return;
        }
        ChangeNote note = who.get().note();
        if (who.get().complete()) {
            e.principal(note.actor()).source(note.actor().startsWith("os:") ? "cli" : null).reason(what);
        } else {
            e.reason(what + " in several steps; the last was made by " + note.actor() + ", the earlier ones since the "
                    + "broker last looked have no known actor, so this difference is not attributed")
                    .detail("lastActor", note.actor());
        }
        e.detail("command", note.command())
                .detail("changedAt", note.at() == null ? null : note.at().toString());
    }

    private static String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    /** A fingerprint of everything a user entry holds (its hashes, roles and state), never a secret itself. */
    static String fingerprint(User u) {
        String entry = String.join("\u0000", u.name(), Objects.toString(u.passwordHash()),
                u.scram() == null ? "" : java.util.Base64.getEncoder().encodeToString(u.scram().storedKey()),
                String.join(",", u.roles()), Boolean.toString(u.disabled()), Objects.toString(u.created()));
        return AuditEvent.fingerprint(u.scramDisabled() ? entry + "\u0000no-scram" : entry);
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
