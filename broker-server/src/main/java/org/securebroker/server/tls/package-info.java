/**
 * TLS for the broker: the server's SSL context with protocols, AEAD ECDHE cipher suites and
 * groups set explicitly, and the local development CA that {@code broker init} uses to issue
 * server and client certificates.
 */
package org.securebroker.server.tls;
