/**
 * Implementation of the broker client: connection and handshake, reconnects, publish batching,
 * subscriptions and flow control. <b>Not API</b>: these types may change in any release; use
 * {@link org.securebroker.client} only.
 */
package org.securebroker.client.internal;
