/**
 * The tamper-evident audit log: {@link org.securebroker.server.audit.AuditLog} appends
 * {@link org.securebroker.server.audit.AuditEvent}s as hash-chained JSON lines with periodic
 * Ed25519-signed checkpoints, and {@link org.securebroker.server.audit.AuditVerifier} and
 * {@link org.securebroker.server.audit.AuditReader} check and query the files offline
 * (docs/audit.md describes the format).
 *
 * <p>Imports nothing of the server above the store and protocol modules.
 */
package org.securebroker.server.audit;
