/**
 * What a client's request gets when the broker refuses it or cannot complete it
 * ({@link org.securebroker.server.request.RequestException}, with its wire error code), and the
 * helpers for the futures requests travel on. Imports nothing of the server.
 */
package org.securebroker.server.request;
