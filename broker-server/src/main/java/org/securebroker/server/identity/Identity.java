package org.securebroker.server.identity;

import java.util.List;

/**
 * Who a session authenticated as.
 *
 * <p>Thread-safety: immutable.
 *
 * @param principal the authenticated name (never a name the client merely claimed)
 * @param roles roles from the users file, the token, or the certificate's user entry
 * @param mechanism the mechanism that proved it
 * @param expiresAtMillis when the session must re-authenticate (epoch ms); 0 = never
 * @param user whether the principal is an entry of the users file, so that removing or
 *     disabling that entry ends the session
 */
public record Identity(String principal, List<String> roles, String mechanism, long expiresAtMillis, boolean user) {

    public Identity {
        roles = List.copyOf(roles);
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }
}
