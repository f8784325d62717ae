/**
 * The stored message: {@link org.securebroker.server.message.MessageEnvelope}, the record the
 * queue engine appends to a queue's log (broker timestamp, producer, expiry, headers, payload,
 * content digest), and the view of its fields the broker's signature covers. Imports nothing of
 * the server, so the signer below the queue engine can read what it signs.
 */
package org.securebroker.server.message;
