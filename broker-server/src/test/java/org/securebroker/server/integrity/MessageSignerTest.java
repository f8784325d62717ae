package org.securebroker.server.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.integrity.BrokerSeal;
import org.securebroker.protocol.integrity.Canonical;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.securebroker.protocol.integrity.SignedMessage;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.message.MessageEnvelope;

/** The broker's signer against the protocol's definition of the leaf and its verifier. */
class MessageSignerTest {

    private static final String QUEUE = "orders";
    private static final long AUDIT_POSITION = 41;
    private static final SigningKey KEY = SigningKey.of(new byte[32]);

    private final MessageSigner signer = new MessageSigner(KEY, () -> AUDIT_POSITION, nanos -> { });
    private final MessageVerifier verifier = new MessageVerifier(KeySet.of(KEY.publicKey()));

    private static MessageEnvelope envelope(String principal, String producerId, long sequence) {
        return MessageEnvelope.of(1_700_000_000_000L, 0, principal, producerId, sequence,
                Headers.builder().add("k", "v").build(), Bytes.utf8("payload " + sequence), Bytes.EMPTY, true);
    }

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The leaf as the protocol defines it, from the envelope's decoded fields. */
    private static byte[] canonicalLeaf(String queue, long offset, MessageEnvelope e) {
        return Canonical.leaf(queue, offset, e.brokerTimestampMillis(), e.producerPrincipal(), e.producerId(),
                e.sequence(), e.contentDigest().toByteArray());
    }

    private static SignedMessage signed(String queue, long offset, MessageEnvelope e, ByteBuffer seal) {
        return new SignedMessage(queue, offset, e.brokerTimestampMillis(), e.producerPrincipal(), e.producerId(),
                e.sequence(), e.headers(), e.payload(), e.producerSignature(), Bytes.copyOf(seal));
    }

    static Stream<Arguments> envelopes() {
        Headers manyHeaders = Headers.builder().add("content-type", "text/plain")
                .add("schl\u00fcssel", new byte[300]).add("", "").build();
        return Stream.of(
                Arguments.of("short fields", "q", 0L,
                        MessageEnvelope.of(1, 0, "a", "", 0, Headers.EMPTY, Bytes.EMPTY, Bytes.EMPTY, true)),
                Arguments.of("empty principal", QUEUE, 7L,
                        MessageEnvelope.of(1, 0, "", "p-1", 1, Headers.EMPTY, Bytes.utf8("x"), Bytes.EMPTY, true)),
                Arguments.of("non-ASCII strings", "bestellungen-\u00fc", 42L,
                        MessageEnvelope.of(1_700_000_000_000L, 1_700_000_060_000L, "b\u00f6b", "p-\u20ac", 3,
                                manyHeaders, Bytes.utf8("payload"), Bytes.copyOf(new byte[70]), true)),
                Arguments.of("principal of 65535 bytes", QUEUE, 1L << 40,
                        MessageEnvelope.of(1, 0, "p".repeat(0xFFFF), "id", 9, Headers.EMPTY, Bytes.EMPTY, Bytes.EMPTY,
                                true)),
                Arguments.of("producer id of 300 bytes", "q".repeat(255), -1L,
                        MessageEnvelope.of(-1, 5, "alice", "i".repeat(300), Long.MIN_VALUE, manyHeaders,
                                Bytes.copyOf(new byte[100_000]), Bytes.EMPTY, true)),
                Arguments.of("signing disabled (zero digest)", QUEUE, 3L,
                        MessageEnvelope.of(1, 0, "alice", "p", 2, Headers.EMPTY, Bytes.utf8("x"), Bytes.EMPTY, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("envelopes")
    void leafOfAnEncodedEnvelopeIsTheCanonicalLeaf(String name, String queue, long offset, MessageEnvelope e) {
        assertThat(signer.leaf(utf8(queue), offset, e.encode())).isEqualTo(canonicalLeaf(queue, offset, e));
    }

    @Test
    void leafOfAnEnvelopeInTheMiddleOfABufferIsTheCanonicalLeaf() {
        MessageEnvelope e = envelope("alice", "p-1", 5);
        ByteBuffer encoded = e.encode();
        ByteBuffer larger = ByteBuffer.allocate(encoded.remaining() + 20);
        larger.position(9);
        larger.put(encoded).flip().position(9);
        assertThat(signer.leaf(utf8(QUEUE), 5, larger)).isEqualTo(canonicalLeaf(QUEUE, 5, e));
    }

    @Test
    void leafLeavesTheRecordAsItWas() {
        ByteBuffer record = envelope("alice", "p-1", 5).encode();
        int limit = record.limit();
        signer.leaf(utf8(QUEUE), 5, record);
        assertThat(record.position()).isZero();
        assertThat(record.limit()).isEqualTo(limit);
    }

    @Test
    void leafDoesNotCoverTheExpiryTime() {
        MessageEnvelope never = MessageEnvelope.of(1, 0, "alice", "p", 1, Headers.EMPTY, Bytes.utf8("x"),
                Bytes.EMPTY, true);
        MessageEnvelope soon = MessageEnvelope.of(1, 2, "alice", "p", 1, Headers.EMPTY, Bytes.utf8("x"),
                Bytes.EMPTY, true);
        assertThat(signer.leaf(utf8(QUEUE), 1, soon.encode())).isEqualTo(signer.leaf(utf8(QUEUE), 1, never.encode()));
    }

    @Test
    void leafRefusesAnEnvelopeOfAnotherVersion() {
        ByteBuffer record = envelope("alice", "p-1", 5).encode();
        record.put(0, (byte) 1);
        assertThatThrownBy(() -> signer.leaf(utf8(QUEUE), 5, record)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version-2");
    }

    @Test
    void leafRefusesAnEnvelopeThatEndsBeforeItsContentDigest() {
        ByteBuffer record = envelope("alice", "p-1", 5).encode();
        record.limit(1 + 8 + 8 + 2 + 5 + 2 + 3 + 8 + 31);
        assertThatThrownBy(() -> signer.leaf(utf8(QUEUE), 5, record)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void sealsOfABatchVerifyWithTheProtocolsVerifier() {
        MessageEnvelope[] batch = {envelope("alice", "p-1", 1), envelope("bob", "", 2), envelope("carol", "p-3", 3)};
        ByteBuffer[] records = new ByteBuffer[batch.length];
        for (int i = 0; i < batch.length; i++) {
            records[i] = batch[i].encode();
        }
        ByteBuffer[] seals = signer.seal(QUEUE, 100, records);
        for (int i = 0; i < batch.length; i++) {
            verifier.verify(signed(QUEUE, 100 + i, batch[i], seals[i]));
        }
    }

    @Test
    void sealsOfABatchLargerThanOneTreeVerifyInTreesOfAtMostTheMaximum() {
        int count = MessageSigner.MAX_TREE + 3;
        MessageEnvelope[] batch = new MessageEnvelope[count];
        ByteBuffer[] records = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            batch[i] = envelope("alice", "p-1", i);
            records[i] = batch[i].encode();
        }
        ByteBuffer[] seals = signer.seal(QUEUE, 0, records);
        for (int i = 0; i < count; i++) {
            BrokerSeal seal = BrokerSeal.decode(Bytes.copyOf(seals[i]));
            assertThat(seal.treeSize()).isEqualTo(i < MessageSigner.MAX_TREE ? MessageSigner.MAX_TREE : 3);
            verifier.verify(signed(QUEUE, i, batch[i], seals[i]));
        }
    }

    @Test
    void sealDoesNotVerifyTheMessageAtAnotherOffset() {
        MessageEnvelope e = envelope("alice", "p-1", 1);
        ByteBuffer[] seals = signer.seal(QUEUE, 100, new ByteBuffer[] {e.encode()});
        assertThatThrownBy(() -> verifier.verify(signed(QUEUE, 101, e, seals[0])))
                .isInstanceOf(IntegrityException.class);
    }
}
