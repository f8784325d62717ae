/**
 * The Netty front end: the bound client listener ({@link org.securebroker.server.net.ClientListener},
 * event loops and the connection gate) and one channel initializer per listener kind
 * ({@link org.securebroker.server.net.Pipeline}), whose pipeline reads like the data path: TLS
 * detection, TLS, bounded frame decoder, frame encoder, session. The top of the front end: it
 * builds sessions and nothing below it imports it.
 */
package org.securebroker.server.net;
