package org.securebroker.protocol.integrity;

import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/** Messages signed as the broker signs them: one Merkle tree per batch, its root signed once. */
final class Batches {

    static final long AUDIT_POSITION = 7;

    private Batches() {
    }

    static SignedMessage message(long offset) {
        return new SignedMessage("orders", offset, 1_700_000_000_000L + offset, "alice", "p1", offset,
                Headers.builder().add("k", "v").build(), Bytes.utf8("payload " + offset), Bytes.EMPTY, Bytes.EMPTY);
    }

    /** {@code count} messages from {@code firstOffset}, signed as one batch. */
    static SignedMessage[] signed(SigningKey key, long firstOffset, int count) {
        SignedMessage[] messages = new SignedMessage[count];
        for (int i = 0; i < count; i++) {
            messages[i] = message(firstOffset + i);
        }
        return sign(key, messages);
    }

    /** Signs {@code messages} as one batch and returns them with their seals. */
    static SignedMessage[] sign(SigningKey key, SignedMessage... messages) {
        byte[][] leaves = new byte[messages.length][];
        for (int i = 0; i < messages.length; i++) {
            leaves[i] = messages[i].leaf();
        }
        MerkleTree.Built tree = MerkleTree.build(leaves);
        byte[] signature = key.sign(Canonical.batchStatement(key.id(), AUDIT_POSITION, messages.length, tree.root()));
        SignedMessage[] out = new SignedMessage[messages.length];
        for (int i = 0; i < messages.length; i++) {
            BrokerSeal seal = new BrokerSeal(key.id(), AUDIT_POSITION, i, messages.length, tree.paths()[i], signature);
            out[i] = withSeal(messages[i], seal);
        }
        return out;
    }

    static SignedMessage withSeal(SignedMessage m, BrokerSeal seal) {
        return new SignedMessage(m.queue(), m.offset(), m.brokerTimestampMillis(), m.producerPrincipal(),
                m.producerId(), m.sequence(), m.headers(), m.payload(), m.producerSignature(), Bytes.copyOf(seal.encode()));
    }
}
