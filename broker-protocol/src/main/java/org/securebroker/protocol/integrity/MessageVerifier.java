package org.securebroker.protocol.integrity;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies broker signatures on messages and receipts against pinned public keys.
 *
 * <p>The Ed25519 signature over a batch's root is checked once: the last
 * {@value #REMEMBERED_BATCHES} verified batches are remembered with their signed statement and
 * the tree nodes their verified proofs went through ({@link ProvenBatch}). A later message of
 * such a batch needs no second signature check, and its proof is folded only until it meets a
 * remembered node in the same place with the same siblings above it. The answer is always that
 * of a full check: from such a node on, the full fold would repeat a verified one.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MessageVerifier {

    private static final int REMEMBERED_BATCHES = 32;

    private final KeySet keys;
    /** Verified batches by their signature. */
    private final Map<ByteBuffer, ProvenBatch> verified = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, ProvenBatch> eldest) {
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
        verify(message.leaf(), BrokerSeal.decode(message.brokerSignature()));
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
        ByteBuffer signature = ByteBuffer.wrap(seal.signature());
        ProvenBatch known;
        synchronized (verified) {
            known = verified.get(signature);
        }
        ProvenBatch.Fold fold = new ProvenBatch.Fold(known, seal.pathLength());
        byte[] root = MerkleTree.rootFromPath(leaf, seal.leafIndex(), seal.treeSize(), seal.path(), fold);
        if (root == null) {
            throw new IntegrityException(IntegrityException.Reason.BAD_PROOF,
                    "the inclusion proof does not fit leaf " + seal.leafIndex() + " of a batch of " + seal.treeSize());
        }
        byte[] statement = seal.statement(root);
        if (known != null && known.signs(statement)) {
            fold.rememberIn(known);
            return;
        }
        if (!key.verify(seal.signature(), statement)) {
            throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                    "the broker signature (key " + seal.keyId() + ") does not match: the message or its position, "
                            + "time or producer was changed after the broker signed it");
        }
        ProvenBatch batch;
        synchronized (verified) {
            batch = verified.get(signature);
            if (batch == null || !batch.signs(statement)) {
                batch = new ProvenBatch(statement, root, seal.treeSize());
                verified.put(signature, batch);
            }
        }
        fold.rememberIn(batch);
    }
}
