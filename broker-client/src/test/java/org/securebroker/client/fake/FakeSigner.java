package org.securebroker.client.fake;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.securebroker.protocol.frame.BrowsedMessage;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.integrity.BrokerSeal;
import org.securebroker.protocol.integrity.Canonical;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.MerkleTree;
import org.securebroker.protocol.integrity.Receipt;
import org.securebroker.protocol.integrity.SignedMessage;
import org.securebroker.protocol.integrity.SigningKey;

/** Signs the fake broker's deliveries and receipts as the broker does, each as a batch of one. */
final class FakeSigner {

    private final SigningKey key = SigningKey.generate(new SecureRandom());

    KeySet keys() {
        return KeySet.of(key.publicKey());
    }

    DeliverFrame signed(DeliverFrame f) {
        byte[] seal = seal(SignedMessage.of(f).leaf());
        return new DeliverFrame(f.consumerId(), f.queue(), f.offset(), f.deliveryCount(), f.brokerTimestampMillis(),
                f.producerPrincipal(), f.producerId(), f.sequence(), f.headers(), f.payload(), f.producerSignature(),
                Bytes.copyOf(seal));
    }

    BrowsedMessage signed(String queue, BrowsedMessage m) {
        byte[] seal = seal(new SignedMessage(queue, m.offset(), m.brokerTimestampMillis(), m.producerPrincipal(),
                m.producerId(), m.sequence(), m.headers(), m.payload(), m.producerSignature(), Bytes.EMPTY).leaf());
        return new BrowsedMessage(m.offset(), m.brokerTimestampMillis(), m.producerPrincipal(), m.producerId(),
                m.sequence(), m.headers(), m.payload(), m.producerSignature(), Bytes.copyOf(seal));
    }

    Bytes receipt(String queue, long offset, PublishMessage m) {
        byte[] digest = Canonical.contentDigest(m.headers(), Canonical.payloadDigest(m.payload()), m.producerSignature());
        long now = System.currentTimeMillis();
        byte[] leaf = Canonical.leaf(queue, offset, now, "alice", m.producerId(), m.sequence(), digest);
        return Bytes.copyOf(Receipt.encode(queue, offset, now, "alice", m.producerId(), m.sequence(),
                ByteBuffer.wrap(digest), ByteBuffer.wrap(seal(leaf))));
    }

    private byte[] seal(byte[] leaf) {
        byte[] root = MerkleTree.build(new byte[][] {leaf}).root();
        byte[] signature = key.sign(Canonical.batchStatement(key.id(), 0, 1, root));
        return new BrokerSeal(key.id(), 0, 0, 1, new byte[0][], signature).encode();
    }
}
