package org.securebroker.client.internal;

/**
 * What HELLO_OK and AUTH_OK established for one connection.
 *
 * <p>Thread-safety: immutable.
 *
 * @param version negotiated protocol version
 * @param maxFrameSize negotiated frame size limit, in both directions
 * @param serverId the server's self-description, for logs
 * @param principal the identity the broker authenticated
 * @param nextCorrelationId the first correlation id not used by the handshake
 */
record HandshakeResult(int version, int maxFrameSize, String serverId, String principal,
                       int nextCorrelationId) {
}
