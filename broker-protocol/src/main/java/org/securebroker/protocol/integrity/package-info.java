/**
 * Message integrity and non-repudiation: the canonical encodings the broker and producers sign,
 * Merkle batches with inclusion proofs, broker seals, signed receipts, Ed25519 keys (through
 * BouncyCastle) and the verifier consumers and auditors use. docs/security-model.md
 * ("Integrity") documents the bytes.
 */
package org.securebroker.protocol.integrity;
