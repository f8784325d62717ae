/**
 * Test fixtures: a throw-away certificate authority and a scriptable fake broker speaking the
 * real wire protocol over TLS.
 */
package org.securebroker.client.fake;
