/**
 * Message integrity: the broker's signer of stored messages
 * ({@link org.securebroker.server.integrity.MessageSigner}, the store's
 * {@link org.securebroker.store.RecordSealer}), the broker's message-signing keys and the
 * producers' registered keys (loading, checking and rotating the key files, handing the keys in
 * force to the signer and the verifiers).
 *
 * <p>The store's commit thread calls the signer, so the signer reaches nothing above it: it imports
 * only the message format, the configuration records, the protocol's canonical encodings and the
 * store's sealing interface, and learns the audit position through a {@code LongSupplier} the
 * composition root hands it.
 */
package org.securebroker.server.integrity;
