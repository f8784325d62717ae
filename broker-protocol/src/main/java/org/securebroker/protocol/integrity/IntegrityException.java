package org.securebroker.protocol.integrity;

import java.util.Objects;

/**
 * A signature, proof or receipt that does not verify, with the reason.
 *
 * <p>Thread-safety: immutable.
 */
public final class IntegrityException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why verification failed. */
    public enum Reason {
        /** No signature where one is required. */
        UNSIGNED,
        /** Not a well-formed signature, seal or receipt. */
        MALFORMED,
        /** Signed with a key the verifier does not have (not pinned, not registered). */
        UNKNOWN_KEY,
        /** The inclusion proof does not lead to a tree root of the stated size. */
        BAD_PROOF,
        /** The Ed25519 signature does not match: something signed was changed. */
        BAD_SIGNATURE
    }

    private final Reason reason;

    public IntegrityException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }

    /**
     * Text from a signature, seal or message (key ids, queue names) for an error message: at
     * most 64 characters, anything but printable ASCII replaced by '?', so it cannot forge log
     * lines or move a terminal's cursor.
     */
    public static String printable(String untrusted) {
        String cut = untrusted.length() > 64 ? untrusted.substring(0, 64) + "..." : untrusted;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
