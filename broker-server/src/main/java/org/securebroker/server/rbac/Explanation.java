package org.securebroker.server.rbac;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Why a policy decided as it did: the decision, the grant that decided it (none for a denial by
 * default), every role considered with its origin, and every grant of those roles that covers the
 * action on the resource.
 *
 * <p>Thread-safety: immutable.
 *
 * @param subject who asked
 * @param action what they asked to do
 * @param resource on what
 * @param decision the answer
 * @param rule the deciding grant; empty when nothing allowed it
 * @param roleOrigins every role the subject brought or was bound to, defined or not
 * @param roles the defined roles the decision used
 * @param allows the covering allow grants of those roles, in policy order
 * @param denies the covering deny grants of those roles, in policy order
 */
public record Explanation(Subject subject, Action action, String resource, Decision decision, Optional<Grant> rule,
                          List<RoleOrigin> roleOrigins, Set<String> roles, List<Grant> allows, List<Grant> denies) {

    public Explanation {
        roleOrigins = List.copyOf(roleOrigins);
        roles = Set.copyOf(roles);
        allows = List.copyOf(allows);
        denies = List.copyOf(denies);
    }
}
