/**
 * Keys and ciphers of the store: key-encryption keys (KEKs) in a keyring loaded from a protected
 * file or the environment, per-segment data keys (DEKs) stored only wrapped by a KEK, and the
 * AES-256-GCM record cipher whose nonces are derived from record positions, never passed in.
 */
package org.securebroker.store.crypto;
