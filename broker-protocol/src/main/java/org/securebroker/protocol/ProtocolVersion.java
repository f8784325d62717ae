package org.securebroker.protocol;

import java.util.OptionalInt;

/**
 * The protocol versions this implementation speaks, and the negotiation rule.
 *
 * <p>The client announces a range {@code [minVersion, maxVersion]} in HELLO; the server picks
 * the highest version both sides support and names it in HELLO_OK. No overlap means ERROR
 * UNSUPPORTED_VERSION followed by close.
 *
 * <p>Version 1 is frozen. Version 2 adds the subscription lifecycle (REJECT, LIST_SUBSCRIPTIONS,
 * DELETE_SUBSCRIPTION, PURGE_QUEUE, BROWSE, SEEK and their answers); everything of version 1
 * stays valid in it. A frame type belongs to the version that introduced it
 * ({@link org.securebroker.protocol.frame.FrameType#since()}) and is unknown in earlier ones.
 *
 * <p>Thread-safety: stateless; all methods are safe to call from any thread.
 */
public final class ProtocolVersion {

    /** Lowest version this implementation supports. */
    public static final int MIN = 1;
    /** Highest version this implementation supports. */
    public static final int MAX = 2;
    /** The version that introduced the subscription lifecycle frames. */
    public static final int SUBSCRIPTION_LIFECYCLE = 2;

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

    /**
     * Checks that {@code version} is one this implementation speaks.
     *
     * @return {@code version}
     * @throws IllegalArgumentException if it is outside [{@link #MIN}, {@link #MAX}]
     */
    public static int requireSupported(int version) {
        if (!isSupported(version)) {
            throw new IllegalArgumentException("protocol version " + version + " is outside ["
                    + MIN + ", " + MAX + "]");
        }
        return version;
    }

    private static boolean validRange(int min, int max) {
        return min >= 0 && max <= U16_MAX && min <= max;
    }
}
