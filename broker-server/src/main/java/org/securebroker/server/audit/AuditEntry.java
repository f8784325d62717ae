package org.securebroker.server.audit;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of the audit log as read back: an event with the sequence number, time and chain
 * link the log gave it, and where it was found.
 *
 * <p>Thread-safety: immutable.
 *
 * @param file the file's name, e.g. {@code audit-000001.jsonl}
 * @param line the line number in that file, from 1
 * @param seq the sequence number, from 1, one more than the previous entry's
 * @param time when the log recorded the entry
 * @param type the event type, or {@code checkpoint}
 * @param details the event's details; for a checkpoint {@code keyId}, {@code entries},
 *     {@code final} and {@code format}
 * @param prev the lowercase hex SHA-256 of the previous line
 * @param sig a checkpoint's base64url Ed25519 signature; null for other entries
 * @param text the line exactly as stored, without its newline
 */
public record AuditEntry(String file, long line, long seq, Instant time, String type, String principal, String source,
                         String mechanism, String action, String resource, String decision, String rule, String policy,
                         String reason, Map<String, Object> details, String prev, String sig, String text) {

    public AuditEntry {
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details)); // keeps the order describe() prints
    }

    public boolean isCheckpoint() {
        return AuditFormat.CHECKPOINT.equals(type);
    }

    /** The id of the key that signed this checkpoint, or null if this is not a checkpoint. */
    public String keyId() {
        return isCheckpoint() ? (String) details.get(AuditFormat.KEY_ID) : null;
    }

    /**
     * One readable line: time, {@code #seq}, type, then {@code name=value} for each field and
     * detail present. Values other than plain words are quoted with JSON escapes (non-ASCII and
     * control characters included), so a value cannot break the line or play tricks on a
     * terminal.
     */
    public String describe() {
        StringBuilder out = new StringBuilder(160);
        out.append(AuditFormat.formatTime(time)).append(" #").append(seq).append(' ').append(AuditFormat.quote(type));
        field(out, "principal", principal);
        field(out, "source", source);
        field(out, "mechanism", mechanism);
        field(out, "action", action);
        field(out, "resource", resource);
        field(out, "decision", decision);
        field(out, "rule", rule);
        field(out, "policy", policy);
        field(out, "reason", reason);
        details.forEach((k, v) -> field(out, k, String.valueOf(v)));
        return out.toString();
    }

    private static void field(StringBuilder out, String name, String value) {
        if (value != null) {
            out.append(' ').append(AuditFormat.quote(name)).append('=').append(AuditFormat.quote(value));
        }
    }

    /** Where the entry is, as {@code file:line}. */
    public String location() {
        return file + ":" + line;
    }
}
