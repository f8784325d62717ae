/**
 * Client side of authentication: the configured credentials (password, bearer-token supplier,
 * or the TLS client certificate alone), the choice of mechanism among those the broker offers,
 * and one exchange per connection attempt for PLAIN, SCRAM-SHA-256, JWT and EXTERNAL. <b>Not
 * API.</b>
 */
package org.securebroker.client.internal.auth;
