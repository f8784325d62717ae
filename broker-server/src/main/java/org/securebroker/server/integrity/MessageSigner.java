package org.securebroker.server.integrity;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.securebroker.protocol.integrity.BrokerSeal;
import org.securebroker.protocol.integrity.Canonical;
import org.securebroker.protocol.integrity.MerkleTree;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.message.MessageEnvelope;
import org.securebroker.store.RecordSealer;

/**
 * Signs stored messages: for each group commit to a queue (the messages of every PUBLISH the
 * round took for it, which the store writes in one piece, so they are stored or fail together),
 * the store hands over the encoded envelopes with their offsets; this builds one Merkle tree per
 * at most {@value #MAX_TREE} messages, signs each root once with the broker's Ed25519 key and
 * gives every message its seal (key id, audit position, leaf index, tree size, inclusion proof,
 * signature). One signature covers a whole batch, so signing costs a hash per message, not a
 * signature, even when producers publish one message at a time; and no signature ever covers a
 * message that was not stored.
 *
 * <p>Each leaf is {@link Canonical#leaf}, hashed with this signer's digest from the envelope's
 * fields in place ({@link MessageEnvelope#leafFields}): nothing is copied or decoded.
 *
 * <p>Thread-safety: {@link #seal} runs on the store's commit thread only; {@link #use} may be
 * called from any thread (a key rotation).
 */
public final class MessageSigner implements RecordSealer {

    /** Messages per tree at most, which bounds the proof at 9 hashes. */
    static final int MAX_TREE = 512;
    private static final int MAX_KEY_ID = 16;

    private final LongSupplier auditPosition;
    private final LongConsumer signedNanos;
    private final MessageDigest sha256 = Canonical.newSha256();
    private volatile SigningKey key;

    /**
     * @param key the current signing key
     * @param auditPosition the audit log's last sequence number (0 without an audit log)
     * @param signedNanos told how long each call (one group commit to a queue) took to sign, for the
     *     signing-latency metric
     */
    public MessageSigner(SigningKey key, LongSupplier auditPosition, LongConsumer signedNanos) {
        this.auditPosition = Objects.requireNonNull(auditPosition, "auditPosition");
        this.signedNanos = Objects.requireNonNull(signedNanos, "signedNanos");
        use(key);
    }

    /** Signs from now on with {@code next}; batches being signed finish with the key they started with. */
    public void use(SigningKey next) {
        Objects.requireNonNull(next, "key");
        if (next.id().length() > MAX_KEY_ID) {
            throw new IllegalArgumentException("key id " + next.id() + " is longer than " + MAX_KEY_ID);
        }
        key = next;
    }

    public String keyId() {
        return key.id();
    }

    @Override
    public int maxSealBytes() {
        return BrokerSeal.encodedLength(MAX_KEY_ID, 32 - Integer.numberOfLeadingZeros(MAX_TREE - 1));
    }

    @Override
    public ByteBuffer[] seal(String log, long firstOffset, ByteBuffer[] records) {
        long started = System.nanoTime();
        SigningKey signer = key;
        byte[] keyId = signer.id().getBytes(StandardCharsets.US_ASCII);
        long position = auditPosition.getAsLong();
        ByteBuffer queue = ByteBuffer.wrap(log.getBytes(StandardCharsets.UTF_8));
        ByteBuffer[] seals = new ByteBuffer[records.length];
        for (int from = 0; from < records.length; from += MAX_TREE) {
            int size = Math.min(MAX_TREE, records.length - from);
            byte[][] leaves = new byte[size][];
            for (int i = 0; i < size; i++) {
                leaves[i] = leaf(queue, firstOffset + from + i, records[from + i]);
            }
            MerkleTree.Built tree = MerkleTree.build(leaves);
            byte[] signature = signer.sign(Canonical.batchStatement(signer.id(), position, size, tree.root()));
            // the tree's seals side by side in one array
            int depth = tree.paths()[0].length;
            ByteBuffer all = ByteBuffer.allocate(size * BrokerSeal.encodedLength(keyId.length, depth));
            for (int i = 0; i < size; i++) {
                int start = all.position();
                BrokerSeal.write(all, keyId, position, i, size, tree.paths()[i], signature);
                seals[from + i] = ByteBuffer.wrap(all.array(), start, all.position() - start).slice();
            }
        }
        signedNanos.accept(System.nanoTime() - started);
        return seals;
    }

    /** The canonical leaf of the envelope {@code record} stored at {@code offset} in {@code queue} (UTF-8). */
    byte[] leaf(ByteBuffer queue, long offset, ByteBuffer record) {
        MessageEnvelope.LeafFields f = MessageEnvelope.leafFields(record);
        return Canonical.leaf(sha256, queue, offset, f.brokerTimestampMillis(), f.producerPrincipal(), f.producerId(),
                f.sequence(), f.contentDigest());
    }
}
