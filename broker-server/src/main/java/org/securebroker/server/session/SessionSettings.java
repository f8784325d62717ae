package org.securebroker.server.session;

import java.time.Clock;
import java.time.Duration;

/**
 * Limits and timeouts of a session.
 *
 * <p>Thread-safety: immutable.
 *
 * @param serverId sent in HELLO_OK
 * @param helloTimeout time allowed after the TLS handshake for HELLO to arrive
 * @param authTimeout time allowed after HELLO_OK for authentication to complete
 * @param maxFrameSize the largest frame the broker accepts after authentication
 * @param maxInFlightPublishes messages a connection may have waiting for the disk before the
 *     broker stops reading from it
 * @param clock what session deadlines (a token's expiry) are measured against
 */
public record SessionSettings(String serverId, Duration helloTimeout, Duration authTimeout, int maxFrameSize,
                              int maxInFlightPublishes, Clock clock) {
}
