package org.securebroker.server.rbac;

import java.util.List;

/**
 * An answer to "who can do this?" ({@link Policy#whoCan}): a role, or a binding that gives roles
 * to a principal, whose roles together allow the action.
 *
 * <p>Thread-safety: immutable.
 *
 * @param kind what {@code name} is
 * @param name the role, principal, user, certificate principal or token claim value
 * @param roles the defined roles that binding gives (for a role, the role itself)
 * @param ruleId the allow grant that decides it
 */
public record Holder(Kind kind, String name, List<String> roles, String ruleId) {

    /** What a holder's name is. */
    public enum Kind {
        /** A role defined in the policy. */
        ROLE("role"),
        /** A principal of the policy's {@code principals}, with only the roles bound there. */
        PRINCIPAL("principal"),
        /** A user of the users file, with its stored roles and its {@code principals} entry. */
        USER("user"),
        /** A certificate principal of {@code certificates}, with its {@code principals} entry. */
        CERTIFICATE("certificate"),
        /** A token roles-claim value, through {@code tokenRoles}. */
        TOKEN_CLAIM("token claim");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public Holder {
        roles = List.copyOf(roles);
    }
}
