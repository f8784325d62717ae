/**
 * Sessions: the per-connection state machine HELLO -> AUTH -> commands, which turns frames into
 * queue engine calls and answers them.
 */
package org.securebroker.server.session;
