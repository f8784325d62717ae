package org.securebroker.client;

/**
 * What HELLO_OK and AUTH_OK established for one connection.
 *
 * <p>Thread-safety: immutable.
 *
 * @param version negotiated protocol version
 * @param maxFrameSize negotiated frame size limit, in both directions
 * @param serverId the server's self-description, for logs
 * @param mechanism the authentication mechanism used
 * @param principal the identity the broker authenticated
 * @param sessionExpiresAtMillis when the session must be re-authenticated (broker's epoch
 *     milliseconds), or 0 for never
 * @param nextCorrelationId the first correlation id not used by the handshake
 */
record HandshakeResult(int version, int maxFrameSize, String serverId, String mechanism, String principal,
                       long sessionExpiresAtMillis, int nextCorrelationId) {
}
