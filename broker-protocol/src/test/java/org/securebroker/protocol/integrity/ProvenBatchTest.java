package org.securebroker.protocol.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.testing.Gen;
import org.securebroker.testing.PropertyCheck;

/**
 * A verifier that remembers proven batches must answer exactly as a full check does, for
 * genuine messages in any order and for seals changed in any way.
 */
class ProvenBatchTest {

    private static final SigningKey BROKER = SigningKey.generate(new SecureRandom());
    private static final KeySet KEYS = KeySet.of(BROKER.publicKey());

    /** A batch size and a seed for what is delivered, in which order, changed how. */
    private record Case(int size, long seed) {
    }

    @Test
    void rememberingVerifierAnswersAsAFullCheckDoes() {
        Gen<Case> cases = random -> new Case(Gen.sizes(1, 70).next(random), random.nextLong());
        PropertyCheck.forAll(150, cases, c -> {
            RandomGenerator random = new java.util.SplittableRandom(c.seed());
            SignedMessage[] batch = Batches.signed(BROKER, 1000, c.size());
            MessageVerifier remembering = new MessageVerifier(KEYS);
            for (int attempt = 0; attempt < 2 * c.size() + 10; attempt++) {
                SignedMessage m = batch[random.nextInt(c.size())];
                SignedMessage delivered = random.nextInt(3) == 0 ? changed(m, batch, random) : m;
                String full = outcome(new MessageVerifier(KEYS), delivered);
                assertThat(outcome(remembering, delivered)).as("attempt %d: %s", attempt, seal(delivered)).isEqualTo(full);
            }
        });
    }

    @Test
    void messagesOfAProvenBatchFoldOnlyUntilTheyMeetAProvenNode() {
        int n = 512;
        byte[][] leaves = new byte[n][];
        for (int i = 0; i < n; i++) {
            leaves[i] = Canonical.sha256(new byte[] {(byte) i, (byte) (i >>> 8)});
        }
        MerkleTree.Built tree = MerkleTree.build(leaves);
        ProvenBatch batch = new ProvenBatch(new byte[] {1}, tree.root(), n);
        int steps = 0;
        for (int i = 0; i < n; i++) {
            CountingFold fold = new CountingFold(batch, tree.paths()[i].length);
            assertThat(MerkleTree.rootFromPath(leaves[i], i, n, tree.paths()[i], fold)).isEqualTo(tree.root());
            fold.inner.rememberIn(batch);
            steps += fold.steps;
        }
        // the first proof is folded in full (9 steps); every later one stops at the node its
        // left neighbour proved: 2 steps on average, where a full check takes 9 each
        assertThat(steps).isLessThan(2 * n + 9).isGreaterThanOrEqualTo(n);
    }

    private static final class CountingFold implements MerkleTree.FoldMemory {
        final ProvenBatch.Fold inner;
        int steps;

        CountingFold(ProvenBatch batch, int pathLength) {
            inner = new ProvenBatch.Fold(batch, pathLength);
        }

        @Override
        public byte[] known(byte[] node, long fn, long sn, byte[][] path, int next) {
            return inner.known(node, fn, sn, path, next);
        }

        @Override
        public void step(byte[] node, long fn, long sn, byte[] sibling) {
            steps++;
            inner.step(node, fn, sn, sibling);
        }

        @Override
        public void end() {
            inner.end();
        }
    }

    /** The message with its seal or content changed in one of the ways a forger might try. */
    private static SignedMessage changed(SignedMessage m, SignedMessage[] batch, RandomGenerator random) {
        BrokerSeal s = BrokerSeal.decode(m.brokerSignature());
        byte[][] path = s.path().clone();
        int index = s.leafIndex();
        int size = s.treeSize();
        switch (random.nextInt(7)) {
            case 0 -> {
                if (path.length == 0) {
                    return Batches.withSeal(m, new BrokerSeal(s.keyId(), s.auditPosition(), index, size,
                            new byte[][] {new byte[32]}, s.signature()));
                }
                int at = random.nextInt(path.length);
                path[at] = path[at].clone();
                path[at][random.nextInt(32)] ^= (byte) (1 << random.nextInt(8));
            }
            case 1 -> index = random.nextInt(size);
            case 2 -> size = index + 1 + random.nextInt(2 * size);
            case 3 -> path = java.util.Arrays.copyOf(path, Math.max(0, path.length - 1));
            case 4 -> {
                path = java.util.Arrays.copyOf(path, path.length + 1);
                path[path.length - 1] = batch[random.nextInt(batch.length)].leaf();
            }
            case 5 -> {
                return Batches.withSeal(m, BrokerSeal.decode(batch[random.nextInt(batch.length)].brokerSignature()));
            }
            default -> {
                return new SignedMessage(m.queue(), m.offset(), m.brokerTimestampMillis(), m.producerPrincipal(),
                        m.producerId(), m.sequence(), m.headers(), Bytes.utf8("changed"), m.producerSignature(),
                        m.brokerSignature());
            }
        }
        return Batches.withSeal(m, new BrokerSeal(s.keyId(), s.auditPosition(), index, size, path, s.signature()));
    }

    private static String outcome(MessageVerifier verifier, SignedMessage m) {
        try {
            verifier.verify(m);
            return "verified";
        } catch (IntegrityException e) {
            return e.reason().name();
        }
    }

    private static String seal(SignedMessage m) {
        BrokerSeal s = BrokerSeal.decode(m.brokerSignature());
        return "offset " + m.offset() + ", leaf " + s.leafIndex() + " of " + s.treeSize() + ", path of " + s.pathLength();
    }
}
