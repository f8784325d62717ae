package org.securebroker.protocol.integrity;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies broker signatures on messages and receipts against pinned public keys.
 *
 * <p>A batch's Ed25519 signature is checked once: after a message of the batch verifies, every
 * hash on its path to the signed root is known to be the node of that tree covering a known
 * range of leaves, and is remembered (for the last {@value #REMEMBERED_BATCHES} batches). A
 * later message of the batch verifies as soon as folding its proof reaches a remembered node at
 * the same position: by the collision resistance of the prefixed hashes, its leaf is then the
 * leaf at that index of the signed tree. The answer is the same as checking the whole proof and
 * the signature again; consecutive messages of a batch just cost a hash or two each.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MessageVerifier {

    private static final int REMEMBERED_BATCHES = 32;

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
        /** Nodes known to be in the signed tree, with the leaves each covers (start << 32 | end). */
        final Map<ByteBuffer, Long> nodes = new HashMap<>();

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
        if (known != null && known.signs(seal) && fold(leaf, seal, known) != null) {
            return;
        }
        Batch batch = new Batch(seal);
        byte[] root = fold(leaf, seal, batch);
        if (root == null) {
            throw new IntegrityException(IntegrityException.Reason.BAD_PROOF,
                    "the inclusion proof does not fit leaf " + seal.leafIndex() + " of a batch of " + seal.treeSize());
        }
        if (!key.verify(seal.signature(), seal.statement(root))) {
            throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                    "the broker signature (key " + seal.keyId() + ") does not match: the message or its position, "
                            + "time or producer was changed after the broker signed it");
        }
        synchronized (batches) {
            if (known != null && known.signs(seal)) {
                known.nodes.putAll(batch.nodes);
            } else {
                batches.put(signatureKey, batch);
            }
        }
    }

    /**
     * Folds the proof from {@code leaf} up (RFC 9162, section 2.1.3.2), tracking which leaves
     * each node covers.
     *
     * <p>With {@code batch} already verified: stops as soon as it reaches a node the batch knows
     * at the same position, and returns that node (every signed field is then proven, and the
     * nodes walked are added to the batch); returns null if it reaches none. With a fresh
     * {@code batch}: records every node and sibling in it and returns the root, or null if the
     * proof does not fit the tree.
     */
    private byte[] fold(byte[] leaf, BrokerSeal seal, Batch batch) {
        boolean verified = !batch.nodes.isEmpty();
        long n = seal.treeSize();
        long fn = seal.leafIndex();
        long sn = n - 1;
        int level = 0;
        byte[][] path = seal.path();
        Map<ByteBuffer, Long> seen = new HashMap<>();
        byte[] r = leaf;
        long range = range(fn, fn + 1);
        if (verified && known(batch, r, range)) {
            return r;
        }
        seen.put(ByteBuffer.wrap(r), range);
        for (byte[] p : path) {
            if (sn == 0) {
                return null;
            }
            long siblingRange;
            if ((fn & 1) == 1 || fn == sn) {
                if ((fn & 1) == 0) {
                    // the right edge: r stands for the node some levels up that has no right sibling
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                        level++;
                    }
                    if (fn == 0) {
                        return null;
                    }
                }
                siblingRange = range((fn - 1) << level, fn << level);
                range = range((fn - 1) << level, Math.min(n, (fn + 1) << level));
                r = Canonical.node(p, r);
            } else {
                siblingRange = range((fn + 1) << level, Math.min(n, (fn + 2) << level));
                range = range(fn << level, Math.min(n, (fn + 2) << level));
                r = Canonical.node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
            level++;
            seen.put(ByteBuffer.wrap(p), siblingRange);
            if (verified && known(batch, r, range)) {
                synchronized (batches) {
                    batch.nodes.putAll(seen);
                }
                return r;
            }
            seen.put(ByteBuffer.wrap(r), range);
        }
        if (verified || sn != 0) {
            return null;
        }
        batch.nodes.putAll(seen);
        return r;
    }

    private boolean known(Batch batch, byte[] node, long range) {
        synchronized (batches) {
            Long at = batch.nodes.get(ByteBuffer.wrap(node));
            return at != null && at == range;
        }
    }

    private static long range(long start, long end) {
        return start << 32 | end;
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
