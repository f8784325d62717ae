package org.securebroker.server.rbac;

/**
 * The answer to "may these roles do this action on this resource?", with the rule that decided
 * it and the version of the policy that was asked. A policy makes its decisions once, when it is
 * loaded, so deciding allocates nothing.
 *
 * <p>Thread-safety: immutable.
 *
 * @param allowed whether the action is allowed
 * @param ruleId the deciding grant's id ({@code orders-producer/allow[0]}), or {@value #DEFAULT_DENY}
 *     when no grant allowed it
 * @param ruleText the deciding grant as text ({@code allow publish on orders.*}), or a sentence
 *     saying that nothing allowed it
 * @param policyVersion the {@link Policy#version()} that decided
 */
public record Decision(boolean allowed, String ruleId, String ruleText, String policyVersion) {

    /** The rule id of a denial because no grant of the principal's roles allowed the action. */
    public static final String DEFAULT_DENY = "default-deny";

    static Decision of(Grant grant, String policyVersion) {
        return new Decision(grant.effect() == Grant.Effect.ALLOW, grant.ruleId(), grant.text(), policyVersion);
    }

    static Decision defaultDeny(String policyVersion) {
        return new Decision(false, DEFAULT_DENY, "deny by default: no grant of the principal's roles allows it",
                policyVersion);
    }

    /** Whether no grant allowed it, as opposed to an explicit deny. */
    public boolean byDefault() {
        return DEFAULT_DENY.equals(ruleId);
    }
}
