package org.securebroker.server.session;

import java.time.Clock;
import java.time.Duration;
import org.securebroker.server.limits.MemoryBudget;
import org.securebroker.server.limits.PrincipalShares;

/**
 * Limits and timeouts of a session.
 *
 * <p>Thread-safety: immutable; the budgets it carries are shared by every session and
 * thread-safe.
 *
 * @param serverId sent in HELLO_OK
 * @param helloTimeout time allowed after the TLS handshake for HELLO to arrive
 * @param authTimeout time allowed after HELLO_OK for authentication to complete
 * @param maxFrameSize the largest frame the broker accepts after authentication
 * @param maxInFlightPublishes messages a connection may have waiting for the disk before the
 *     broker stops reading from it
 * @param maxInFlightPublishBytes bytes of frames a connection may have being received or waiting
 *     for the disk before the broker stops reading from it
 * @param deliveryBufferBytes bytes of deliveries a connection may have on their way to its socket
 * @param consumerWindowBytes bytes of unacknowledged deliveries one consumer may hold
 * @param inFlightBudget frames being received and publishes waiting, all connections together
 * @param inFlightShares each principal's share of {@code inFlightBudget}, all its connections together
 * @param deliveryBudget deliveries on their way to sockets, all connections together
 * @param clock what session deadlines (a token's expiry) are measured against
 */
public record SessionSettings(String serverId, Duration helloTimeout, Duration authTimeout, int maxFrameSize,
                              int maxInFlightPublishes, long maxInFlightPublishBytes, long deliveryBufferBytes,
                              long consumerWindowBytes, MemoryBudget inFlightBudget, PrincipalShares inFlightShares,
                              MemoryBudget deliveryBudget, Clock clock) {

    /** Byte bounds of the configuration's defaults, with budgets of their own (for a session alone). */
    public SessionSettings(String serverId, Duration helloTimeout, Duration authTimeout, int maxFrameSize,
                           int maxInFlightPublishes, Clock clock) {
        this(serverId, helloTimeout, authTimeout, maxFrameSize, maxInFlightPublishes, 16L << 20, 1L << 20, 16L << 20,
                new MemoryBudget("in-flight", 64L << 20),
                new PrincipalShares(PrincipalShares.shareOf(64L << 20, maxFrameSize)),
                new MemoryBudget("delivery", 64L << 20), clock);
    }
}
