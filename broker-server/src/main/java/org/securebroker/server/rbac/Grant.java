package org.securebroker.server.rbac;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One entry of a role's {@code allow} or {@code deny} list: some actions on some resource
 * patterns. Its {@link #ruleId()} ({@code orders-consumer/deny[0]}) names it stably in decisions
 * and audit records: the role, the list and the position in it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param ruleId {@code role/allow[i]} or {@code role/deny[i]}
 * @param role the role it belongs to
 * @param effect whether it allows or denies
 * @param actions the actions it covers ({@code "*"} in the file stands for all of them)
 * @param resources the patterns it covers, in file order, without repeats
 * @param line the line it starts on in the policy file (0 for the built-in policy)
 */
public record Grant(String ruleId, String role, Effect effect, Set<Action> actions, List<ResourcePattern> resources,
                    int line) {

    /** Allow or deny. */
    public enum Effect {
        ALLOW("allow"), DENY("deny");

        private final String wireName;

        Effect(String wireName) {
            this.wireName = wireName;
        }

        /** The list name in the policy file. */
        public String wireName() {
            return wireName;
        }
    }

    public Grant {
        if (actions.isEmpty() || resources.isEmpty()) {
            throw new IllegalArgumentException("grant " + ruleId + " needs at least one action and one resource");
        }
        actions = Collections.unmodifiableSet(EnumSet.copyOf(actions));
        resources = List.copyOf(resources);
    }

    /** The rule id of entry {@code index} of a role's allow or deny list. */
    public static String ruleId(String role, Effect effect, int index) {
        return role + "/" + effect.wireName() + "[" + index + "]";
    }

    /** Whether {@code pattern} matches {@code resource}; see {@link ResourcePattern}. */
    public static boolean matches(String pattern, String resource) {
        return ResourcePattern.matches(pattern, resource);
    }

    /** Whether this grant covers {@code action} on {@code resource}. */
    public boolean covers(Action action, String resource) {
        if (!actions.contains(action)) {
            return false;
        }
        for (ResourcePattern p : resources) {
            if (p.matches(resource)) {
                return true;
            }
        }
        return false;
    }

    /** The grant as a person would say it: {@code allow publish, consume on orders.*, billing}. */
    public String text() {
        List<String> names = new ArrayList<>();
        if (actions.size() == Action.values().length) {
            names.add("*");
        } else {
            actions.forEach(a -> names.add(a.wireName()));
        }
        List<String> patterns = new ArrayList<>();
        resources.forEach(p -> patterns.add(p.text()));
        return effect.wireName() + " " + String.join(", ", names) + " on " + String.join(", ", patterns);
    }

    @Override
    public String toString() {
        return ruleId + ": " + text();
    }
}
