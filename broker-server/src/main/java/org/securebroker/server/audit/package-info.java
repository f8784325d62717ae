/**
 * The tamper-evident audit log: {@link org.securebroker.server.audit.AuditLog} appends
 * {@link org.securebroker.server.audit.AuditEvent}s as hash-chained JSON lines with periodic
 * Ed25519-signed checkpoints, and {@link org.securebroker.server.audit.AuditVerifier} and
 * {@link org.securebroker.server.audit.AuditReader} check and query the files offline
 * (docs/audit.md describes the format). After an unclean stop the log's next run seals what the
 * stopped run left unsigned with a recovery checkpoint, and the verifier reports those entries
 * as findings.
 *
 * <p>Imports nothing of the server above the store and protocol modules.
 */
package org.securebroker.server.audit;
