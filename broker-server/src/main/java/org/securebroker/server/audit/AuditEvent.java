package org.securebroker.server.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What happened, before the log gives it a sequence number and a time: one line of the audit log.
 * Build one with {@link #of(String)}:
 *
 * <pre>{@code
 * audit.append(AuditEvent.of("authz.deny").principal(p).source(address).action("publish")
 *         .resource("orders").decision("deny").rule("r7").policy(policyHash).build());
 * }</pre>
 *
 * <p>Never put a secret in an event: not a password, not a token, not a key. Where an entry must
 * say which token or credential was used, record its {@link #fingerprint(String)}.
 *
 * <p>Text is made safe to store as it is built: values longer than {@value #MAX_TEXT} characters
 * are cut and end with {@value #TRUNCATED}, and unpaired UTF-16 surrogates become U+FFFD, so
 * every event can be written as UTF-8. Control characters and newlines are kept here and escaped
 * by the writer; a value can never start a line of its own.
 *
 * <p>Thread-safety: immutable.
 *
 * @param type dotted lower-case name such as {@code auth.failure}; see {@link Builder}
 * @param principal who acted (the authenticated or claimed name), or null
 * @param source the client's address, or null
 * @param mechanism the authentication mechanism, or null
 * @param action what was attempted (e.g. {@code publish}), or null
 * @param resource what it was attempted on (e.g. a queue name), or null
 * @param decision {@code allow} or {@code deny}, or null
 * @param rule the id of the rule that decided, or null
 * @param policy the policy version (hash) that decided, or null
 * @param reason a short human-readable explanation, or null
 * @param details a few more values (strings, booleans, whole numbers, finite doubles) in
 *     insertion order; empty when there are none
 */
public record AuditEvent(String type, String principal, String source, String mechanism, String action,
                         String resource, String decision, String rule, String policy, String reason,
                         Map<String, Object> details) {

    /** The longest text value kept, in UTF-16 characters (before the truncation marker). */
    public static final int MAX_TEXT = 1024;
    /** Ends a text value that was cut at {@link #MAX_TEXT} characters. */
    public static final String TRUNCATED = "...[truncated]";
    /** The most details one event may carry. */
    public static final int MAX_DETAILS = 32;

    /**
     * What this event holds in memory, at most, near enough to bound the audit queue in bytes:
     * two bytes per character of every text, a fixed cost per field, detail and value.
     */
    public long estimatedBytes() {
        long bytes = 128 + chars(type) + chars(principal) + chars(source) + chars(mechanism) + chars(action)
                + chars(resource) + chars(decision) + chars(rule) + chars(policy) + chars(reason);
        for (Map.Entry<String, Object> d : details.entrySet()) {
            bytes += 48 + chars(d.getKey()) + (d.getValue() instanceof CharSequence text ? 2L * text.length() : 32);
        }
        return bytes;
    }

    private static long chars(String text) {
        return text == null ? 0 : 2L * text.length();
    }

    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)*");
    private static final Pattern DETAIL_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final int MAX_TYPE = 64;

    /**
     * @throws IllegalArgumentException if the type is not a dotted lower-case name, the decision
     *     is neither {@code allow} nor {@code deny}, or a detail has a bad key or value
     */
    public AuditEvent {
        if (type == null || type.length() > MAX_TYPE || !TYPE.matcher(type).matches()) {
            throw new IllegalArgumentException("an audit event type is a dotted lower-case name of at most " + MAX_TYPE
                    + " characters, such as auth.failure; got " + (type == null ? "null" : "'" + clean(type) + "'"));
        }
        if (decision != null && !decision.equals("allow") && !decision.equals("deny")) {
            throw new IllegalArgumentException("an audit decision is 'allow' or 'deny', not '" + clean(decision) + "'");
        }
        principal = clean(principal);
        source = clean(source);
        mechanism = clean(mechanism);
        action = clean(action);
        resource = clean(resource);
        rule = clean(rule);
        policy = clean(policy);
        reason = clean(reason);
        details = checkDetails(details);
    }

    /** Starts an event of the given type. */
    public static Builder of(String type) {
        return new Builder(type);
    }

    /**
     * A reference to a secret that does not reveal it: the first 16 hex characters (64 bits) of
     * its SHA-256. Enough to tell whether two entries concern the same token; not a way to check
     * a guessed password, so hash only high-entropy values (tokens, keys), never a password.
     */
    public static String fingerprint(byte[] secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** {@link #fingerprint(byte[])} of the UTF-8 bytes of {@code secret}. */
    public static String fingerprint(String secret) {
        return fingerprint(secret.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Cuts text to {@link #MAX_TEXT} characters (never inside a surrogate pair) and replaces
     * unpaired surrogates, so the value encodes as UTF-8.
     */
    static String clean(String text) {
        if (text == null) {
            return null;
        }
        int end = text.length();
        boolean cut = false;
        if (end > MAX_TEXT) {
            end = Character.isHighSurrogate(text.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
            cut = true;
        }
        StringBuilder out = null;
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (out != null) {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
                continue;
            }
            if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(end + TRUNCATED.length()).append(text, 0, i);
                }
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        if (out == null && !cut) {
            return text;
        }
        String kept = out != null ? out.toString() : text.substring(0, end);
        return cut ? kept + TRUNCATED : kept;
    }

    private static Map<String, Object> checkDetails(Map<String, Object> details) {
        if (details == null || details.isEmpty()) {
            return Map.of();
        }
        if (details.size() > MAX_DETAILS) {
            throw new IllegalArgumentException("an audit event carries at most " + MAX_DETAILS + " details, not "
                    + details.size());
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        details.forEach((key, value) -> copy.put(checkKey(key), detailValue(key, value)));
        return Collections.unmodifiableMap(copy);
    }

    private static String checkKey(String key) {
        if (key == null || !DETAIL_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("an audit detail key is a letter then up to 63 letters, digits, '_', "
                    + "'.' or '-'; got " + (key == null ? "null" : "'" + clean(key) + "'"));
        }
        return key;
    }

    /** Strings (cleaned), booleans, whole numbers as long, finite doubles, instants as UTC text. */
    private static Object detailValue(String key, Object value) {
        if (value instanceof String s) {
            return clean(s);
        }
        if (value instanceof Boolean || value instanceof Long) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if ((value instanceof Double || value instanceof Float) && Double.isFinite(((Number) value).doubleValue())) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof Instant instant) {
            return AuditFormat.formatTime(instant);
        }
        throw new IllegalArgumentException("audit detail '" + key + "' must be a string, boolean, whole number, "
                + "finite number or instant; got " + (value == null ? "null" : value.getClass().getSimpleName()));
    }

    /**
     * Builds an {@link AuditEvent}. Unset fields stay null and are left out of the entry.
     *
     * <p>Thread-safety: not thread-safe.
     */
    public static final class Builder {
        private final String type;
        private String principal;
        private String source;
        private String mechanism;
        private String action;
        private String resource;
        private String decision;
        private String rule;
        private String policy;
        private String reason;
        private final Map<String, Object> details = new LinkedHashMap<>();

        private Builder(String type) {
            this.type = type;
        }

        public Builder principal(String value) {
            principal = value;
            return this;
        }

        /** The client's address, e.g. {@code 192.0.2.7:50412}. */
        public Builder source(String value) {
            source = value;
            return this;
        }

        public Builder mechanism(String value) {
            mechanism = value;
            return this;
        }

        public Builder action(String value) {
            action = value;
            return this;
        }

        public Builder resource(String value) {
            resource = value;
            return this;
        }

        /** {@code allow} or {@code deny}. */
        public Builder decision(String value) {
            decision = value;
            return this;
        }

        public Builder rule(String value) {
            rule = value;
            return this;
        }

        public Builder policy(String value) {
            policy = value;
            return this;
        }

        public Builder reason(String value) {
            reason = value;
            return this;
        }

        /** Adds a detail; a later value for the same key replaces the earlier one. */
        /** Adds a detail; a null value adds nothing, so optional values need no check at the caller. */
        public Builder detail(String key, Object value) {
            if (value != null) {
                details.put(key, value);
            }
            return this;
        }

        /**
         * @throws IllegalArgumentException as the {@link AuditEvent} constructor does
         */
        public AuditEvent build() {
            return new AuditEvent(type, principal, source, mechanism, action, resource, decision, rule, policy, reason,
                    details);
        }
    }
}
