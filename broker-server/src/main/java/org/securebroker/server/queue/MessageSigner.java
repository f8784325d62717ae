package org.securebroker.server.queue;

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
 * <p>The leaf is hashed from the envelope's bytes as they are: its fields from
 * {@code brokerTimestampMillis} to {@code contentDigest} use the encodings the canonical leaf
 * uses ({@link Canonical#leaf}), in the same order apart from {@code expiresAtMillis}, which is
 * skipped.
 *
 * <p>Thread-safety: {@link #seal} runs on the store's commit thread only; {@link #use} may be
 * called from any thread (a key rotation).
 */
public final class MessageSigner implements RecordSealer {

    /** Messages per tree at most, which bounds the proof at 9 hashes. */
    static final int MAX_TREE = 512;
    private static final int MAX_KEY_ID = 16;
    private static final byte[] LEAF_LABEL = "SB-MESSAGE-1".getBytes(StandardCharsets.US_ASCII);

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
        byte[] queue = log.getBytes(StandardCharsets.UTF_8);
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

    /** The canonical leaf of the envelope {@code record} stored at {@code offset}. */
    byte[] leaf(byte[] queue, long offset, ByteBuffer record) {
        ByteBuffer r = record.duplicate();
        int start = r.position();
        if (r.get(start) != MessageEnvelope.VERSION) {
            throw new IllegalArgumentException("not a version-" + MessageEnvelope.VERSION + " envelope");
        }
        int timestampAt = start + 1;
        int principalAt = timestampAt + 16;
        int producerIdAt = principalAt + 2 + (r.getShort(principalAt) & 0xFFFF);
        int sequenceAt = producerIdAt + 2 + (r.getShort(producerIdAt) & 0xFFFF);
        int end = sequenceAt + 8 + Canonical.DIGEST_BYTES;
        MessageDigest d = sha256;
        d.reset();
        d.update((byte) 0x00);
        d.update(LEAF_LABEL);
        d.update((byte) (queue.length >>> 8));
        d.update((byte) queue.length);
        d.update(queue);
        for (int shift = 56; shift >= 0; shift -= 8) {
            d.update((byte) (offset >>> shift));
        }
        d.update(r.limit(timestampAt + 8).position(timestampAt));
        d.update(r.limit(end).position(principalAt));
        return d.digest();
    }
}
