/**
 * Authorization: a {@link org.securebroker.server.rbac.Policy} of roles that allow or deny actions
 * on resource patterns, the bindings that give principals their roles, and decisions that name the
 * rule that decided them and the policy version. Deny by default; an explicit deny beats any allow.
 *
 * <p>Imports only identity and config (for the YAML reader), so authentication and authorization never
 * import each other.
 */
package org.securebroker.server.rbac;
