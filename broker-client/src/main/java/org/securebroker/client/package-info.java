/**
 * The Java client of the secure message broker: connect over TLS with {@link
 * org.securebroker.client.BrokerClient#builder()}, publish with {@code send}/{@code sendAsync},
 * consume with {@code subscribe}, and manage queues. Every failure is a {@link
 * org.securebroker.client.BrokerException} carrying the protocol's error code.
 *
 * <p>The public types of this package are the API. Its implementation lives here too, package-
 * private so that it stays hidden: connection and handshake ({@code ConnectionHandler}),
 * reconnects ({@code ConnectionSupervisor}), re-authentication of expiring sessions
 * ({@code TokenRefresher}), TLS with the client certificate, publish batching
 * ({@code Publisher}), subscriptions and flow control ({@code Consumers}), queue and
 * subscription administration ({@code AdminRequests}), all behind {@code ClientCore}, the
 * {@link org.securebroker.client.BrokerClient} the builder returns. The
 * implementation speaks the API's types ({@code BrokerException} above all) throughout, so the
 * two are one package rather than two that would depend on each other.
 *
 * <p>Layering, bottom up: broker-protocol (frames, codec and wire sizes, error codes, the signed
 * formats); {@code org.securebroker.client.internal.auth} (credentials and mechanism exchanges;
 * imports broker-protocol only); this package, which may import both. Nothing below imports
 * this package.
 */
package org.securebroker.client;
