/**
 * Client side of authentication: the configured credentials (password, bearer-token supplier,
 * or the TLS client certificate alone), the choice of mechanism among those the broker offers,
 * and one exchange per connection attempt for PLAIN, SCRAM-SHA-256, JWT and EXTERNAL. <b>Not
 * API.</b>
 *
 * <p>Layering: the bottom of the client. It imports only broker-protocol (frames, error codes,
 * the SCRAM primitives) and the JDK, never {@code org.securebroker.client}: its failures are
 * {@link org.securebroker.client.internal.auth.AuthException}s, which the client turns into
 * {@code BrokerException}s where it calls in.
 */
package org.securebroker.client.internal.auth;
