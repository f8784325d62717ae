/**
 * The broker process: it assembles the store, the users, the queue engine and the TLS front end
 * ({@link org.securebroker.server.Broker}) from a validated configuration.
 *
 * <p>The composition root: it alone builds the layers below from a {@link
 * org.securebroker.server.BrokerContext} (the one clock, randomness and file layer), and nothing in
 * the server imports it (docs/architecture.md draws the layers). {@link
 * org.securebroker.server.Offline} opens a stopped broker's store and audit log the way the broker
 * does, for the CLI's offline commands.
 */
package org.securebroker.server;
