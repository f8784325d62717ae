package org.securebroker.server.rbac;

/**
 * Where one of a subject's roles came from, for {@link Explanation}s.
 *
 * <p>Thread-safety: immutable.
 *
 * @param role the role name
 * @param source the kind of binding that gave it
 * @param via what in that source named it: the principal for {@link Source#PRINCIPALS} and
 *     {@link Source#CERTIFICATES} and {@link Source#USERS_FILE}, the claim value for the token sources
 * @param defined whether the policy defines the role; roles it does not define are ignored
 */
public record RoleOrigin(String role, Source source, String via, boolean defined) {

    /** The kinds of role binding. */
    public enum Source {
        /** Stored with the user in the users file (or otherwise asserted for a non-token session). */
        USERS_FILE("users file"),
        /** A token's roles claim value that {@code tokenRoles} does not list: it grants nothing. */
        TOKEN_CLAIM("token claim"),
        /** A token's roles claim value translated by the policy's {@code tokenRoles}. */
        TOKEN_ROLES("tokenRoles"),
        /** The policy's {@code certificates}, for principals mapped from a client certificate. */
        CERTIFICATES("certificates"),
        /** The policy's {@code principals}, for any mechanism. */
        PRINCIPALS("principals");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        /** How explanations name the source. */
        public String label() {
            return label;
        }
    }

    /**
     * {@code orders-producer from tokenRoles[idp-orders-writers]}; for a claim value that
     * {@code tokenRoles} does not list, {@code admin from token claim (admin): not mapped by
     * tokenRoles, grants nothing}.
     */
    public String describe() {
        if (source == Source.TOKEN_CLAIM) {
            return role + " from " + source.label() + " (" + via + "): not mapped by tokenRoles, grants nothing";
        }
        String from = source == Source.USERS_FILE || source == Source.TOKEN_CLAIM
                ? source.label() + " (" + via + ")" : source.label() + "[" + via + "]";
        return role + " from " + from + (defined ? "" : ": not defined in the policy, ignored");
    }
}
