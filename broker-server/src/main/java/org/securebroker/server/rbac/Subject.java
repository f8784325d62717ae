package org.securebroker.server.rbac;

import java.util.List;
import java.util.Objects;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.identity.MechanismNames;

/**
 * Who is asking, as authentication established it; {@link Policy#rolesOf(Subject)} turns it into
 * roles.
 *
 * <p>Thread-safety: immutable.
 *
 * @param principal the authenticated name
 * @param mechanism the mechanism that proved it: {@code PLAIN}, {@code SCRAM-SHA-256}, {@code JWT}
 *     or {@code EXTERNAL}
 * @param assertedRoles for {@code JWT}, the values of the token's roles claim (which grant roles
 *     only through the policy's {@code tokenRoles}); otherwise the roles stored with the user in the users file,
 *     taken as they are
 * @param user whether the principal is an entry of the users file
 */
public record Subject(String principal, String mechanism, List<String> assertedRoles, boolean user) {

    public Subject {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(mechanism, "mechanism");
        assertedRoles = List.copyOf(assertedRoles);
    }

    /** The subject of an authenticated session. */
    public static Subject of(Identity identity) {
        return new Subject(identity.principal(), identity.mechanism(), identity.roles(), identity.user());
    }

    /** Whether the asserted roles are token claim values rather than configured roles. */
    public boolean fromToken() {
        return MechanismNames.JWT.equals(mechanism);
    }

    /** Whether the principal was mapped from a client certificate. */
    public boolean fromCertificate() {
        return MechanismNames.EXTERNAL.equals(mechanism);
    }
}
