/**
 * Implementation of the broker client: connection and handshake, reconnects, re-authentication
 * of expiring sessions, TLS (including the client certificate), publish batching, subscriptions
 * and flow control; the authentication mechanisms live in {@code internal.auth}. <b>Not API</b>:
 * these types may change in any release; use {@link org.securebroker.client} only.
 */
package org.securebroker.client.internal;
