package org.securebroker.protocol.integrity;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies broker signatures on messages and receipts against pinned public keys. The proof is
 * checked for every message; the Ed25519 signature of a batch is checked once and remembered
 * (the last {@value #REMEMBERED_BATCHES} batches), since every message of a batch carries the
 * same one.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MessageVerifier {

    private static final int REMEMBERED_BATCHES = 256;

    private final KeySet keys;
    private final Map<ByteBuffer, Boolean> verified = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Boolean> eldest) {
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
                IntegrityException.Reason.UNKNOWN_KEY, "signed with broker key " + seal.keyId()
                        + ", which is not among the pinned keys " + keys.ids()));
        byte[] root = MerkleTree.rootFromPath(leaf, seal.leafIndex(), seal.treeSize(), seal.path());
        if (root == null) {
            throw new IntegrityException(IntegrityException.Reason.BAD_PROOF,
                    "the inclusion proof does not fit leaf " + seal.leafIndex() + " of a batch of " + seal.treeSize());
        }
        byte[] statement = seal.statement(root);
        byte[] signature = seal.signature();
        ByteBuffer cacheKey = ByteBuffer.wrap(concat(statement, signature));
        synchronized (verified) {
            if (verified.containsKey(cacheKey)) {
                return;
            }
        }
        if (!key.verify(signature, statement)) {
            throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                    "the broker signature (key " + seal.keyId() + ") does not match: the message or its position, "
                            + "time or producer was changed after the broker signed it");
        }
        synchronized (verified) {
            verified.put(cacheKey, Boolean.TRUE);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
