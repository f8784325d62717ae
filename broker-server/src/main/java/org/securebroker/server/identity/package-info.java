/**
 * Who a session is: the authenticated {@link org.securebroker.server.identity.Identity}, the rule
 * for principal names and the mechanism names. Shared by authentication, authorization and the
 * TLS certificate mapping, so that none of them imports another; imports nothing of the server.
 */
package org.securebroker.server.identity;
