package org.securebroker.protocol.integrity;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A batch whose signed statement was verified, with the tree nodes its verified proofs went
 * through. A later message of the batch is proven as soon as its proof reaches one of those
 * nodes in the same place with the same siblings above it, because from there its fold would
 * repeat a verified one step for step. Messages of a batch arriving one after another then cost
 * a leaf hash and one or two node hashes each, not a whole proof.
 *
 * <p>A place in the tree is the fold's state ({@code fn}, {@code sn}) of RFC 9162 section
 * 2.1.3.2 at the start of a step: {@code sn} is the last index at that level, so it names the
 * level, and {@code fn} the node on it. Nodes are kept in one array, level after level.
 *
 * <p>Thread-safety: thread-safe; nodes are immutable and set once per place.
 */
final class ProvenBatch {

    /** Larger trees are not remembered (their messages are checked in full); the broker's have at most 512 leaves. */
    static final int MAX_TREE = 4096;

    /**
     * A verified node: its hash, and the sibling and node the verified fold went on with ({@code null} at the root).
     * A node is known by its identity (the {@link #ROOT} sentinel, the compare-and-set of a slot), so it is a plain
     * class: a record's value equality would only compare the arrays by reference anyway.
     */
    private static final class Node {
        final byte[] hash;
        final byte[] sibling;
        final Node next;

        Node(byte[] hash, byte[] sibling, Node next) {
            this.hash = hash;
            this.sibling = sibling;
            this.next = next;
        }
    }

    private static final Node ROOT = new Node(null, null, null);

    private final byte[] statement;
    private final byte[] root;
    private final long last;
    private final int lastLevelBits;
    /** Where each level starts in {@link #nodes}; null when the tree is too large to remember. */
    private final int[] levelStart;
    private final AtomicReferenceArray<Node> nodes;

    ProvenBatch(byte[] statement, byte[] root, long treeSize) {
        this.statement = statement;
        this.root = root;
        this.last = treeSize - 1;
        this.lastLevelBits = 64 - Long.numberOfLeadingZeros(last);
        if (treeSize < 2 || treeSize > MAX_TREE) {
            levelStart = null;
            nodes = null;
            return;
        }
        levelStart = new int[lastLevelBits];
        int size = 0;
        for (int level = 0; level < lastLevelBits; level++) {
            levelStart[level] = size;
            size += (int) (last >>> level) + 1;
        }
        nodes = new AtomicReferenceArray<>(size);
    }

    /** Whether this batch's verified statement is {@code candidate}. */
    boolean signs(byte[] candidate) {
        return Arrays.equals(statement, candidate);
    }

    /**
     * The slot of place ({@code fn}, {@code sn}), or -1 if this tree has no such place (a fold
     * claiming another tree size) or nothing is remembered.
     */
    private int slot(long fn, long sn) {
        if (levelStart == null || sn <= 0 || fn < 0 || fn > sn) {
            return -1;
        }
        int level = lastLevelBits - (64 - Long.numberOfLeadingZeros(sn));
        if (level < 0 || level >= levelStart.length || (last >>> level) != sn) {
            return -1;
        }
        return levelStart[level] + (int) fn;
    }

    /**
     * One proof's fold, checked with the help of {@code known} (null if its batch was not
     * verified yet): records its steps so that, once the proof is verified, they can be
     * remembered.
     */
    static final class Fold implements MerkleTree.FoldMemory {
        private final ProvenBatch known;
        private final byte[][] stepNodes;
        private final long[] stepFn;
        private final long[] stepSn;
        private final byte[][] stepSiblings;
        private int steps;
        /** Where the recorded steps lead: a remembered node of {@link #known}, or the root. */
        private Node tail;

        /** A fold of a proof of {@code pathLength} hashes (it takes at most that many steps). */
        Fold(ProvenBatch known, int pathLength) {
            this.known = known;
            stepNodes = new byte[pathLength][];
            stepFn = new long[pathLength];
            stepSn = new long[pathLength];
            stepSiblings = new byte[pathLength][];
        }

        @Override
        public byte[] known(byte[] node, long fn, long sn, byte[][] path, int next) {
            if (known == null) {
                return null;
            }
            int slot = known.slot(fn, sn);
            Node n = slot < 0 ? null : known.nodes.get(slot);
            if (n == null || !Arrays.equals(n.hash, node)) {
                return null;
            }
            int j = next;
            for (Node c = n; c.sibling != null; c = c.next) {
                if (j == path.length || !Arrays.equals(c.sibling, path[j])) {
                    return null;
                }
                j++;
            }
            if (j != path.length) {
                return null;
            }
            tail = n;
            return known.root;
        }

        @Override
        public void step(byte[] node, long fn, long sn, byte[] sibling) {
            stepNodes[steps] = node;
            stepFn[steps] = fn;
            stepSn[steps] = sn;
            stepSiblings[steps] = sibling;
            steps++;
        }

        @Override
        public void end() {
            tail = ROOT;
        }

        /**
         * Remembers this fold's nodes in {@code batch}, whose statement was verified with the
         * root this fold reached. A fold that took a shortcut through another batch is not
         * remembered.
         */
        void rememberIn(ProvenBatch batch) {
            if (tail == null || batch.nodes == null || (tail != ROOT && batch != known)) {
                return;
            }
            Node next = tail;
            for (int i = steps - 1; i >= 0; i--) {
                int slot = batch.slot(stepFn[i], stepSn[i]);
                if (slot < 0) {
                    return;
                }
                Node n = batch.nodes.get(slot);
                if (n == null) {
                    n = new Node(stepNodes[i], stepSiblings[i], next);
                    if (!batch.nodes.compareAndSet(slot, null, n)) {
                        n = batch.nodes.get(slot);
                    }
                }
                next = n;
            }
        }
    }
}
