package org.securebroker.protocol.integrity;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies broker signatures on messages and receipts against pinned public keys.
 *
 * <p>Every message's proof is checked in full, up to the root. The Ed25519 signature over a
 * batch's root is checked once: the last {@value #REMEMBERED_BATCHES} verified batches are
 * remembered with their signed statement, and a later message whose proof leads to the same
 * statement and signature needs no second signature check. The answer is always that of a full
 * check.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MessageVerifier {

    private static final int REMEMBERED_BATCHES = 64;

    private final KeySet keys;
    /** Verified batches: signature to the statement it was checked against. */
    private final Map<ByteBuffer, ByteBuffer> verified = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, ByteBuffer> eldest) {
            return size() > REMEMBERED_BATCHES;
        }
    };

    /**
     * @param keys the broker's public keys, current and retired
     */
    public MessageVerifier(KeySet keys) {
        this.keys = Objects.requireNonNull(keys, "keys");
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("verifying broker signatures needs at least one broker public key");
        }
    }

    public KeySet keys() {
        return keys;
    }

    /**
     * Checks the broker's signature on a message.
     *
     * @throws IntegrityException if the message is unsigned, its signature is malformed or made
     *     with an unknown key, or anything it covers was changed
     */
    public void verify(SignedMessage message) {
        BrokerSeal seal = BrokerSeal.decode(message.brokerSignature().toByteArray());
        verify(message.leaf(), seal);
    }

    /** Checks a receipt; see {@link #verify(SignedMessage)}. */
    public void verify(Receipt receipt) {
        verify(receipt.leaf(), receipt.seal());
    }

    /** Checks that {@code seal} signs {@code leaf}. */
    public void verify(byte[] leaf, BrokerSeal seal) {
        VerifyingKey key = keys.get(seal.keyId()).orElseThrow(() -> new IntegrityException(
                IntegrityException.Reason.UNKNOWN_KEY, "signed with broker key "
                        + IntegrityException.printable(seal.keyId()) + ", which is not among the pinned keys " + keys.ids()));
        byte[] root = MerkleTree.rootFromPath(leaf, seal.leafIndex(), seal.treeSize(), seal.path());
        if (root == null) {
            throw new IntegrityException(IntegrityException.Reason.BAD_PROOF,
                    "the inclusion proof does not fit leaf " + seal.leafIndex() + " of a batch of " + seal.treeSize());
        }
        ByteBuffer statement = ByteBuffer.wrap(seal.statement(root));
        ByteBuffer signature = ByteBuffer.wrap(seal.signature());
        synchronized (verified) {
            if (statement.equals(verified.get(signature))) {
                return;
            }
        }
        if (!key.verify(seal.signature(), statement.array())) {
            throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                    "the broker signature (key " + seal.keyId() + ") does not match: the message or its position, "
                            + "time or producer was changed after the broker signed it");
        }
        synchronized (verified) {
            verified.put(signature, statement);
        }
    }
}
