/**
 * TLS for the broker: the server's SSL context with protocols, AEAD ECDHE cipher suites and
 * groups set explicitly; the TLS material in force and its validated reload; client certificate
 * verification against the configured client CA and CRL, and the mapping of certificates to
 * principals; and the local CA that issues server and client certificates and CRLs.
 *
 * <p>Imports only identity and config.
 */
package org.securebroker.server.tls;
