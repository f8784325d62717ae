/**
 * Authorization at the session: every command checked against the RBAC policy in force, decisions
 * cached per connection until the policy or the principal's roles change, and every decision
 * written to the audit log (denials one by one, repeated allows aggregated); and reading those
 * allows back to tell which grants were used.
 *
 * <p>Imports audit, auth, rbac, identity and request.
 */
package org.securebroker.server.access;
