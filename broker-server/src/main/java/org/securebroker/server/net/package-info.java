/**
 * The Netty front end: one channel initializer per listener, whose pipeline reads like the data
 * path (TLS detection, TLS, bounded frame decoder, frame encoder, session).
 */
package org.securebroker.server.net;
