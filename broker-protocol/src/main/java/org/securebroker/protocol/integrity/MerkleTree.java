package org.securebroker.protocol.integrity;

import java.util.Arrays;

/**
 * Merkle trees as RFC 6962 (section 2.1) defines them: leaves and inner nodes are hashed with
 * distinct prefixes ({@link Canonical#leaf}, {@link Canonical#node}), a tree of n leaves splits
 * at the largest power of two below n, and an inclusion proof lists the sibling hashes from the
 * leaf up.
 *
 * <p>Thread-safety: stateless.
 */
public final class MerkleTree {

    private MerkleTree() {
    }

    /** A tree's root and one inclusion proof per leaf. */
    public record Built(byte[] root, byte[][][] paths) {
    }

    /**
     * Builds the tree over {@code leaves} (at least one).
     */
    public static Built build(byte[][] leaves) {
        if (leaves.length == 0) {
            throw new IllegalArgumentException("a tree needs at least one leaf");
        }
        int depth = 32 - Integer.numberOfLeadingZeros(leaves.length - 1);
        byte[][][] paths = new byte[leaves.length][][];
        int[] lengths = new int[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
            paths[i] = new byte[depth][];
        }
        byte[] root = subtree(leaves, 0, leaves.length, paths, lengths);
        for (int i = 0; i < leaves.length; i++) {
            if (lengths[i] != depth) {
                paths[i] = Arrays.copyOf(paths[i], lengths[i]);
            }
        }
        return new Built(root, paths);
    }

    private static byte[] subtree(byte[][] leaves, int from, int to, byte[][][] paths, int[] lengths) {
        int n = to - from;
        if (n == 1) {
            return leaves[from];
        }
        int k = Integer.highestOneBit(n - 1);
        byte[] left = subtree(leaves, from, from + k, paths, lengths);
        byte[] right = subtree(leaves, from + k, to, paths, lengths);
        for (int i = from; i < from + k; i++) {
            paths[i][lengths[i]++] = right;
        }
        for (int i = from + k; i < to; i++) {
            paths[i][lengths[i]++] = left;
        }
        return Canonical.node(left, right);
    }

    /**
     * The root that {@code path} proves for leaf {@code index} of a tree of {@code size} leaves
     * (RFC 9162, section 2.1.3.2), or null if the path cannot belong to such a tree.
     */
    public static byte[] rootFromPath(byte[] leaf, long index, long size, byte[][] path) {
        return rootFromPath(leaf, index, size, path, null);
    }

    /**
     * {@link #rootFromPath(byte[], long, long, byte[][])}, telling {@code memory} (if not null)
     * every step, and asking it before each step whether the rest of the fold is known already.
     *
     * <p>The fold is a function of (node, fn, sn, remaining path) at every step: two folds that
     * agree on these at some step reach the same root and the same verdict.
     */
    static byte[] rootFromPath(byte[] leaf, long index, long size, byte[][] path, FoldMemory memory) {
        if (index < 0 || size <= 0 || index >= size) {
            return null;
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leaf;
        for (int k = 0; k < path.length; k++) {
            if (sn == 0) {
                return null;
            }
            byte[] p = path[k];
            if (memory != null) {
                byte[] known = memory.known(r, fn, sn, path, k);
                if (known != null) {
                    return known;
                }
                memory.step(r, fn, sn, p);
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
        }
        if (sn != 0) {
            return null;
        }
        if (memory != null) {
            memory.end();
        }
        return r;
    }

    /** What a fold tells a verifier that remembers proven nodes ({@link ProvenBatch}). */
    interface FoldMemory {

        /**
         * The root the fold reaches from {@code node} in state ({@code fn}, {@code sn}) with
         * {@code path[next..]} still to go, if a verified fold went the same way; else null.
         */
        byte[] known(byte[] node, long fn, long sn, byte[][] path, int next);

        /** The fold is at {@code node} in state ({@code fn}, {@code sn}) and goes on with {@code sibling}. */
        void step(byte[] node, long fn, long sn, byte[] sibling);

        /** The fold used up the path and ended at the root. */
        void end();
    }
}
