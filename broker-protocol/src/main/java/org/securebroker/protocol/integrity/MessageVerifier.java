package org.securebroker.protocol.integrity;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies broker signatures on messages and receipts against pinned public keys.
 *
 * <p>A batch's Ed25519 signature is checked once: after a message of the batch verifies, every
 * hash on its path to the signed root is known to be a node of that tree, and is remembered
 * (for the last {@value #REMEMBERED_BATCHES} batches). A later message of the batch verifies as
 * soon as folding its proof reaches a remembered node: by the collision resistance of the
 * prefixed hashes, its leaf is then in the signed tree. Consecutive messages of a batch thus
 * cost a hash or two each instead of a whole proof and a signature check.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MessageVerifier {

    private static final int REMEMBERED_BATCHES = 64;

    private final KeySet keys;
    /** Verified batches by their signature. */
    private final Map<ByteBuffer, Batch> batches = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Batch> eldest) {
            return size() > REMEMBERED_BATCHES;
        }
    };

    /** A verified batch: its signed statement's fields and the tree nodes known to be in it. */
    private static final class Batch {
        final String keyId;
        final long auditPosition;
        final int treeSize;
        final Set<ByteBuffer> nodes = new HashSet<>();

        Batch(BrokerSeal seal) {
            this.keyId = seal.keyId();
            this.auditPosition = seal.auditPosition();
            this.treeSize = seal.treeSize();
        }

        boolean signs(BrokerSeal seal) {
            return keyId.equals(seal.keyId()) && auditPosition == seal.auditPosition() && treeSize == seal.treeSize();
        }
    }

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
                IntegrityException.Reason.UNKNOWN_KEY, "signed with broker key " + printable(seal.keyId())
                        + ", which is not among the pinned keys " + keys.ids()));
        ByteBuffer signatureKey = ByteBuffer.wrap(seal.signature());
        Batch known;
        synchronized (batches) {
            known = batches.get(signatureKey);
        }
        if (known != null && known.signs(seal) && reachesKnownNode(leaf, seal, known)) {
            return;
        }
        byte[][] path = seal.path();
        byte[][] walked = new byte[path.length + 1][];
        byte[] root = MerkleTree.rootFromPath(leaf, seal.leafIndex(), seal.treeSize(), path, walked);
        if (root == null) {
            throw new IntegrityException(IntegrityException.Reason.BAD_PROOF,
                    "the inclusion proof does not fit leaf " + seal.leafIndex() + " of a batch of " + seal.treeSize());
        }
        if (!key.verify(seal.signature(), seal.statement(root))) {
            throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                    "the broker signature (key " + seal.keyId() + ") does not match: the message or its position, "
                            + "time or producer was changed after the broker signed it");
        }
        Batch batch = known != null && known.signs(seal) ? known : new Batch(seal);
        synchronized (batches) {
            for (byte[] p : path) {
                batch.nodes.add(ByteBuffer.wrap(p));
            }
            for (byte[] w : walked) {
                if (w != null) {
                    batch.nodes.add(ByteBuffer.wrap(w));
                }
            }
            batches.put(signatureKey, batch);
        }
    }

    /**
     * Whether folding the proof from {@code leaf} reaches a node known to be in the batch,
     * checking after each step (the leaf binds queue and offset, so reaching a node of the signed
     * tree proves every signed field).
     */
    private boolean reachesKnownNode(byte[] leaf, BrokerSeal seal, Batch batch) {
        long fn = seal.leafIndex();
        long sn = seal.treeSize() - 1L;
        byte[] r = leaf;
        synchronized (batches) {
            if (batch.nodes.contains(ByteBuffer.wrap(r))) {
                return true;
            }
        }
        for (byte[] p : seal.path()) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = Canonical.node(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = Canonical.node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
            synchronized (batches) {
                if (batch.nodes.contains(ByteBuffer.wrap(r))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
