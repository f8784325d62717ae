package org.securebroker.protocol.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

class IntegrityTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private final SigningKey broker = SigningKey.generate(RANDOM);
    private final MessageVerifier verifier = new MessageVerifier(KeySet.of(broker.publicKey()));

    private static SignedMessage message(long offset) {
        return Batches.message(offset);
    }

    private SignedMessage[] signBatch(SigningKey key, SignedMessage... messages) {
        return Batches.sign(key, messages);
    }

    @Test
    void everyLeafOfEveryTreeSizeProvesTheRoot() {
        for (int n = 1; n <= 70; n++) {
            byte[][] leaves = new byte[n][];
            for (int i = 0; i < n; i++) {
                leaves[i] = Canonical.sha256(new byte[] {(byte) i, (byte) n});
            }
            MerkleTree.Built tree = MerkleTree.build(leaves);
            for (int i = 0; i < n; i++) {
                assertThat(MerkleTree.rootFromPath(leaves[i], i, n, tree.paths()[i])).as("leaf %d of %d", i, n)
                        .isEqualTo(tree.root());
                if (n > 1) {
                    assertThat(MerkleTree.rootFromPath(leaves[i], (i + 1) % n, n, tree.paths()[i]))
                            .as("leaf %d of %d at the wrong index", i, n).isNotEqualTo(tree.root());
                    assertThat(MerkleTree.rootFromPath(leaves[(i + 1) % n], i, n, tree.paths()[i]))
                            .as("another leaf with leaf %d's proof", i).isNotEqualTo(tree.root());
                }
            }
        }
    }

    @Test
    void rootMatchesRfc6962ForThreeLeaves() {
        byte[] a = Canonical.sha256(new byte[] {1});
        byte[] b = Canonical.sha256(new byte[] {2});
        byte[] c = Canonical.sha256(new byte[] {3});
        MerkleTree.Built tree = MerkleTree.build(new byte[][] {a, b, c});
        assertThat(tree.root()).isEqualTo(Canonical.node(Canonical.node(a, b), c));
        assertThat(tree.paths()[2].length).isEqualTo(1);
        assertThat(tree.paths()[0].length).isEqualTo(2);
    }

    @Test
    void signedMessagesVerifyAndSealsSurviveEncoding() {
        SignedMessage[] batch = signBatch(broker, message(10), message(11), message(12));
        for (SignedMessage m : batch) {
            verifier.verify(m);
            Receipt r = Receipt.of(m);
            verifier.verify(Receipt.decode(r.encode()));
            assertThat(r.isFor(m.headers(), m.payload(), m.producerSignature())).isTrue();
            assertThat(r.isFor(m.headers(), Bytes.utf8("other"), m.producerSignature())).isFalse();
        }
    }

    @Test
    void changingAnySignedFieldFailsVerification() {
        SignedMessage m = signBatch(broker, message(10), message(11))[1];
        assertBad(m, x -> copy(x, "other", x.offset(), x.brokerTimestampMillis(), x.producerPrincipal(), x.headers(), x.payload()));
        assertBad(m, x -> copy(x, x.queue(), x.offset() + 1, x.brokerTimestampMillis(), x.producerPrincipal(), x.headers(), x.payload()));
        assertBad(m, x -> copy(x, x.queue(), x.offset(), x.brokerTimestampMillis() + 1, x.producerPrincipal(), x.headers(), x.payload()));
        assertBad(m, x -> copy(x, x.queue(), x.offset(), x.brokerTimestampMillis(), "mallory", x.headers(), x.payload()));
        assertBad(m, x -> copy(x, x.queue(), x.offset(), x.brokerTimestampMillis(), x.producerPrincipal(),
                Headers.builder().add("k", "w").build(), x.payload()));
        assertBad(m, x -> copy(x, x.queue(), x.offset(), x.brokerTimestampMillis(), x.producerPrincipal(), x.headers(),
                Bytes.utf8("payload 12")));
    }

    @Test
    void aBatchVerifiedOnceStillRefusesAChangedMessageOfIt() {
        SignedMessage[] batch = new SignedMessage[40];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = message(100 + i);
        }
        batch = signBatch(broker, batch);
        for (SignedMessage m : batch) {
            verifier.verify(m);
        }
        for (SignedMessage m : batch) {
            verifier.verify(m);
            assertBad(m, x -> copy(x, x.queue(), x.offset() + 1, x.brokerTimestampMillis(), x.producerPrincipal(),
                    x.headers(), x.payload()));
            assertBad(m, x -> copy(x, x.queue(), x.offset(), x.brokerTimestampMillis(), x.producerPrincipal(),
                    x.headers(), Bytes.utf8("changed")));
        }
        // a message of the batch with another message's proof and position
        SignedMessage other = batch[5];
        SignedMessage swapped = new SignedMessage(batch[9].queue(), batch[9].offset(), batch[9].brokerTimestampMillis(),
                batch[9].producerPrincipal(), batch[9].producerId(), batch[9].sequence(), batch[9].headers(),
                batch[9].payload(), batch[9].producerSignature(), other.brokerSignature());
        assertBad(swapped, x -> x);
    }

    private static SignedMessage copy(SignedMessage x, String queue, long offset, long ts, String principal, Headers headers,
                                      Bytes payload) {
        return new SignedMessage(queue, offset, ts, principal, x.producerId(), x.sequence(), headers, payload,
                x.producerSignature(), x.brokerSignature());
    }

    private void assertBad(SignedMessage m, UnaryOperator<SignedMessage> change) {
        assertThatThrownBy(() -> verifier.verify(change.apply(m))).isInstanceOf(IntegrityException.class)
                .satisfies(e -> assertThat(((IntegrityException) e).reason())
                        .isIn(IntegrityException.Reason.BAD_SIGNATURE, IntegrityException.Reason.BAD_PROOF));
    }

    @Test
    void alteredReceiptsUnknownKeysAndUnsignedMessagesAreRefused() {
        SignedMessage m = signBatch(broker, message(3))[0];
        byte[] receipt = Receipt.of(m).encode();
        for (int i = 1; i < receipt.length; i++) {
            byte[] altered = receipt.clone();
            altered[i] ^= 0x01;
            int at = i;
            assertThatThrownBy(() -> verifier.verify(Receipt.decode(altered))).as("byte %d flipped", at)
                    .isInstanceOf(IntegrityException.class);
        }
        SignedMessage other = signBatch(SigningKey.generate(RANDOM), message(3))[0];
        assertThatThrownBy(() -> verifier.verify(other)).isInstanceOf(IntegrityException.class)
                .satisfies(e -> assertThat(((IntegrityException) e).reason()).isEqualTo(IntegrityException.Reason.UNKNOWN_KEY));
        assertThatThrownBy(() -> verifier.verify(message(3))).isInstanceOf(IntegrityException.class)
                .satisfies(e -> assertThat(((IntegrityException) e).reason()).isEqualTo(IntegrityException.Reason.UNSIGNED));
    }

    @Test
    void retiredKeysStillVerify() {
        SigningKey next = SigningKey.generate(RANDOM);
        MessageVerifier both = new MessageVerifier(KeySet.of(next.publicKey(), broker.publicKey()));
        both.verify(signBatch(broker, message(1))[0]);
        both.verify(signBatch(next, message(2))[0]);
    }

    @Test
    void producerSignaturesCoverQueueSequenceHeadersAndPayload() {
        SigningKey producer = SigningKey.generate(RANDOM);
        KeySet registered = KeySet.of(producer.publicKey());
        Headers h = Headers.builder().add("k", "v").build();
        Bytes payload = Bytes.utf8("hello");
        Bytes sig = ProducerSignature.sign(producer, "orders", "p1", 5, h, payload);
        ProducerSignature.verify(sig, registered, "orders", "p1", 5, h, Canonical.payloadDigest(payload));
        assertThatThrownBy(() -> ProducerSignature.verify(sig, registered, "other", "p1", 5, h, Canonical.payloadDigest(payload)))
                .isInstanceOf(IntegrityException.class);
        assertThatThrownBy(() -> ProducerSignature.verify(sig, registered, "orders", "p1", 6, h, Canonical.payloadDigest(payload)))
                .isInstanceOf(IntegrityException.class);
        assertThatThrownBy(() -> ProducerSignature.verify(sig, registered, "orders", "p1", 5, Headers.EMPTY,
                Canonical.payloadDigest(payload))).isInstanceOf(IntegrityException.class);
        assertThatThrownBy(() -> ProducerSignature.verify(sig, KeySet.of(SigningKey.generate(RANDOM).publicKey()), "orders",
                "p1", 5, h, Canonical.payloadDigest(payload)))
                .satisfies(e -> assertThat(((IntegrityException) e).reason()).isEqualTo(IntegrityException.Reason.UNKNOWN_KEY));
        assertThatThrownBy(() -> ProducerSignature.verify(Bytes.EMPTY, registered, "orders", "p1", 5, h,
                Canonical.payloadDigest(payload)))
                .satisfies(e -> assertThat(((IntegrityException) e).reason()).isEqualTo(IntegrityException.Reason.UNSIGNED));
    }

    @Test
    void keysRoundTripThroughPemFiles(@TempDir Path dir) throws Exception {
        SigningKey next = SigningKey.generate(RANDOM);
        Path pub = dir.resolve("keys.pem");
        Files.writeString(pub, KeyPem.publicKeyPem(next.publicKey()) + KeyPem.publicKeyPem(broker.publicKey()));
        assertThat(KeyPem.readPublicKeys(pub).ids()).containsExactly(next.id(), broker.id());
        Path priv = dir.resolve("key.pem");
        Files.write(priv, KeyPem.privateKeyPem(broker));
        assertThat(KeyPem.readPrivateKey(priv).id()).isEqualTo(broker.id());
        Files.writeString(pub, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        assertThatThrownBy(() -> KeyPem.readPublicKeys(pub)).hasMessageContaining("not an Ed25519 public key");
        assertThat(Arrays.equals(KeyPem.readPrivateKey(priv).insecureExportSecretBytes(),
                broker.insecureExportSecretBytes())).isTrue();
    }
}
