package org.securebroker.protocol;

import java.util.Optional;

/**
 * Every error the broker can report on the wire, with its fixed numeric code.
 *
 * <p>The numbers are part of the protocol and never change once released; names and default
 * messages may. A peer may receive a code this enum does not know (a newer server):
 * {@link #fromCode(int)} then returns empty and the caller keeps the raw number, treating it as
 * not retriable. Whether an operation may be retried is derived from the code, never sent.
 *
 * <p>Thread-safety: enum constants are immutable and safe to share between threads.
 */
public enum ErrorCode {
    /** No error; used by CLOSE for a normal shutdown of the connection. */
    NONE(0, false, "no error"),
    /** The peer sent bytes that do not follow the wire format. */
    PROTOCOL_ERROR(1, false, "malformed frame"),
    /** The client's supported version range does not overlap the server's. */
    UNSUPPORTED_VERSION(2, false, "no common protocol version"),
    /** A frame's announced length exceeds the negotiated (or pre-authentication) limit. */
    FRAME_TOO_LARGE(3, false, "frame exceeds the maximum frame size"),
    /** The frame type code is not assigned in this protocol version. */
    UNKNOWN_FRAME_TYPE(4, false, "unknown frame type"),
    /** The frame is valid but not allowed in the current session state. */
    UNEXPECTED_FRAME(5, false, "frame not allowed in this session state"),
    /** The client connected without TLS. */
    TLS_REQUIRED(6, false, "TLS is required"),
    /** The TLS handshake or HELLO exchange did not complete in time. */
    HANDSHAKE_TIMEOUT(7, true, "handshake did not complete in time"),

    /** Credentials were rejected; deliberately says nothing about which part was wrong. */
    AUTHENTICATION_FAILED(10, false, "authentication failed"),
    /** Authentication did not complete within the announced timeout. */
    AUTHENTICATION_TIMEOUT(11, true, "authentication did not complete in time"),
    /** The requested SASL-style mechanism is not offered by this server. */
    UNSUPPORTED_MECHANISM(12, false, "authentication mechanism not supported"),
    /** The authenticated session (for example a JWT) has expired; re-authenticate. */
    SESSION_EXPIRED(13, true, "session expired"),
    /** Too many failed attempts; back off before trying again. */
    TOO_MANY_ATTEMPTS(14, true, "too many attempts"),

    /** The principal lacks the permission for this action on this resource. */
    NOT_AUTHORIZED(20, false, "not authorized"),

    /** The named queue does not exist. */
    QUEUE_NOT_FOUND(30, false, "queue not found"),
    /** A queue with this name already exists. */
    QUEUE_EXISTS(31, false, "queue already exists"),
    /** The request is well-formed but its values are not acceptable. */
    INVALID_REQUEST(32, false, "invalid request"),
    /** A message exceeds the broker's message size limit. */
    MESSAGE_TOO_LARGE(33, false, "message too large"),
    /** The consumer id is not known on this connection. */
    UNKNOWN_CONSUMER(34, false, "unknown consumer"),
    /** The message's time to live elapsed before it could be handled. */
    MESSAGE_EXPIRED(35, false, "message expired"),
    /**
     * The queue exists but cannot be served: its stored messages do not add up (a part of its
     * log is missing or damaged) or it has no definition. Every operation on it but DELETE_QUEUE
     * is refused until an operator repairs it (restores it from a backup or accepts the loss);
     * retrying does not help. The other queues are not affected.
     */
    QUEUE_UNAVAILABLE(36, false, "queue unavailable"),
    /**
     * The queue is at its depth limit (messages or bytes) and its overflow policy refuses new
     * publishes; retry once its consumers have caught up. Nothing of the refused publish is stored.
     */
    QUEUE_FULL(37, true, "queue full"),
    /** The named subscription does not exist on that queue (protocol version 2). */
    SUBSCRIPTION_NOT_FOUND(38, false, "subscription not found"),

    /** The store cannot accept or serve records right now. */
    STORE_UNAVAILABLE(40, true, "store unavailable"),
    /** The store has no space left for new records. */
    STORE_FULL(41, true, "store full"),
    /** The broker is applying back-pressure; retry later. */
    OVERLOADED(42, true, "broker overloaded"),
    /** A stored record failed its integrity check and is not served. */
    RECORD_CORRUPTED(43, false, "stored record corrupted"),
    /** The audit log cannot be written, so the broker refuses what it cannot record. */
    AUDIT_UNAVAILABLE(44, true, "audit log unavailable"),
    /**
     * A limit of the principal (connections, queues, subscriptions, consumers) is reached; the
     * message names the limit and its setting. It may succeed once something is closed or
     * deleted.
     */
    QUOTA_EXCEEDED(45, true, "quota exceeded"),

    /** An unexpected failure inside the broker. */
    INTERNAL_ERROR(50, true, "internal error"),
    /** The broker is shutting down; reconnect to another instance or later. */
    SHUTTING_DOWN(51, true, "broker shutting down"),

    /** The queue requires producer signatures and the message has none. */
    SIGNATURE_REQUIRED(60, false, "producer signature required"),
    /** The producer signature does not verify. */
    SIGNATURE_INVALID(61, false, "producer signature invalid"),

    /**
     * Client-side: the connection to the broker was lost before the request completed. Never
     * sent on the wire (codes 70-79 are reserved for client-side conditions).
     */
    CONNECTION_LOST(70, true, "connection to the broker lost"),
    /** Client-side: the broker did not answer in time. Never sent on the wire. */
    TIMEOUT(71, true, "request timed out"),
    /** Client-side: the client was closed. Never sent on the wire. */
    CLIENT_CLOSED(72, false, "client closed"),
    /**
     * A delivered message or a receipt failed verification against the pinned broker keys (or a
     * producer signature against the producer's keys): it was changed, or signed by a key the
     * client does not trust. Client-side only.
     */
    VERIFICATION_FAILED(73, false, "broker signature verification failed");

    private static final ErrorCode[] BY_CODE;

    static {
        int max = 0;
        for (ErrorCode c : values()) {
            max = Math.max(max, c.code);
        }
        ErrorCode[] table = new ErrorCode[max + 1];
        for (ErrorCode c : values()) {
            if (table[c.code] != null) {
                throw new IllegalStateException("duplicate error code " + c.code);
            }
            table[c.code] = c;
        }
        BY_CODE = table;
    }

    private final int code;
    private final boolean retriable;
    private final String defaultMessage;

    ErrorCode(int code, boolean retriable, String defaultMessage) {
        this.code = code;
        this.retriable = retriable;
        this.defaultMessage = defaultMessage;
    }

    /** The fixed number sent on the wire as a u16. */
    public int code() {
        return code;
    }

    /** Whether the same request may succeed if retried later (possibly after reconnecting). */
    public boolean retriable() {
        return retriable;
    }

    /** A short human-readable message used when no more specific text is available. */
    public String defaultMessage() {
        return defaultMessage;
    }

    /**
     * Looks up a code received from the wire.
     *
     * @return the constant, or empty for a code this version does not know (the caller keeps
     *     the number and must not fail because of it)
     */
    public static Optional<ErrorCode> fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_CODE[code]);
    }

    /** A name for logs: the constant's name, or {@code UNKNOWN(n)} for an unknown code. */
    public static String describe(int code) {
        return fromCode(code).map(ErrorCode::name).orElse("UNKNOWN(" + code + ")");
    }
}
