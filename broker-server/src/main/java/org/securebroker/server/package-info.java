/**
 * The broker process: it assembles the store, the users, the queue engine and the TLS front end
 * ({@link org.securebroker.server.Broker}) from a validated configuration.
 */
package org.securebroker.server;
