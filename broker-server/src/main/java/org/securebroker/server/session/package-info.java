/**
 * Sessions: the per-connection state machine HELLO -> AUTH -> commands, which turns frames into
 * queue engine calls and answers them.
 *
 * <p>Imports access, auth, audit, queue, rbac, identity, request and config; the front end ({@code
 * net}) and the admin listener build on it (its {@link
 * org.securebroker.server.session.ConnectionListener} reports connection events to them).
 */
package org.securebroker.server.session;
