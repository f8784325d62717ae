/**
 * The Java client of the secure message broker: connect over TLS with {@link
 * org.securebroker.client.BrokerClient#builder()}, publish with {@code send}/{@code sendAsync},
 * consume with {@code subscribe}, and manage queues. Every failure is a {@link
 * org.securebroker.client.BrokerException} carrying the protocol's error code.
 */
package org.securebroker.client;
