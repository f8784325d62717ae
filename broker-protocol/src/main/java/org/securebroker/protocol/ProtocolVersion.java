package org.securebroker.protocol;

import java.util.OptionalInt;

/**
 * The protocol versions this implementation speaks, and the negotiation rule.
 *
 * <p>The client announces a range {@code [minVersion, maxVersion]} in HELLO; the server picks
 * the highest version both sides support and names it in HELLO_OK. No overlap means ERROR
 * UNSUPPORTED_VERSION followed by close.
 *
 * <p>Thread-safety: stateless; all methods are safe to call from any thread.
 */
public final class ProtocolVersion {

    /** Lowest version this implementation supports. */
    public static final int MIN = 1;
    /** Highest version this implementation supports. */
    public static final int MAX = 1;

    private static final int U16_MAX = 0xFFFF;

    private ProtocolVersion() {
    }

    /** Whether {@code version} is one this implementation speaks. */
    public static boolean isSupported(int version) {
        return version >= MIN && version <= MAX;
    }

    /**
     * Chooses the version for a client announcing {@code [clientMin, clientMax]}.
     *
     * @return the highest version in the overlap with {@code [MIN, MAX]}, or empty if there is
     *     none (including an inverted or out-of-range client range)
     */
    public static OptionalInt negotiate(int clientMin, int clientMax) {
        return negotiate(clientMin, clientMax, MIN, MAX);
    }

    /**
     * The negotiation rule for arbitrary ranges: the highest version in the overlap of
     * {@code [clientMin, clientMax]} and {@code [serverMin, serverMax]}.
     *
     * @return the chosen version, or empty if either range is inverted or outside u16, or if
     *     they do not overlap
     */
    public static OptionalInt negotiate(int clientMin, int clientMax, int serverMin, int serverMax) {
        if (!validRange(clientMin, clientMax) || !validRange(serverMin, serverMax)) {
            return OptionalInt.empty();
        }
        int low = Math.max(clientMin, serverMin);
        int high = Math.min(clientMax, serverMax);
        return low <= high ? OptionalInt.of(high) : OptionalInt.empty();
    }

    private static boolean validRange(int min, int max) {
        return min >= 0 && max <= U16_MAX && min <= max;
    }
}
