package org.securebroker.protocol.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * The known-answer vectors of docs/security-model.md ("Test vectors"), which were computed
 * without this code (docs/canonical-vectors.py). A change here is a change of the signed format.
 */
class CanonicalVectorsTest {

    private static final HexFormat HEX = HexFormat.of();

    private static final long TIME = 1_700_000_000_000L;
    private static final String C1 = "f5e24909375a4c74994e7a4fb9ece9171bfb5abd9d438198256a7ca82790c1ad";
    private static final String C2 = "3ddfbd2886e06d5ffb9b0b7e2edefcc4f7ff3839b802953f7cd0ffd449e4a0f2";
    private static final String L1 = "ab97f46402750a73e5e65ba27c8999ccfad2c97b1a64db4c567fb1ffb9380a88";
    private static final String L2 = "5b2f1738128280437c876186e1a7224c79f36668734ce8d7cfbadc5f4035d760";
    private static final String[] M = {
        "385907291a76e4e5ee3d75ffc4bab5c45da924e93566c95ed75eb7de478d636b",
        "b2349867a3d62b8e178b9e7ed61dc4805e14e02840ee6d5c596f2d2326b5d848",
        "6a41934208eb7d37687886bdd6348d23d6ed1b16ae84eef32d7729eff97d5471",
        "32098fb56f436aba994b22a30010da45b59c783ecd543ad8a75374970f9d7bca",
        "321779ac32ec9c5b8a24c97754aba5a4e2be6b3ec8b1bad786db3637636de8d8",
    };
    private static final String ROOT_OF_FIVE = "61833997bfcd1d2b11e1ad03056073587926b0b9ff0db5c565a59b92a82ebe70";
    /** RFC 8032, section 7.1, TEST 1. */
    private static final String RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private static final String STATEMENT = "53422d42415443482d3100103231666533316466613135346132363100000000"
            + "000030390000000561833997bfcd1d2b11e1ad03056073587926b0b9ff0db5c5"
            + "65a59b92a82ebe70";
    private static final String SIGNATURE = "75e3684e0c7ecd062afb0828ad9eab3341f1b9100a754cb12e697c90c85995f6"
            + "6bc9d27d35f232cecaecebe05fe36009e23727b2990ba850aa23ff02270ed001";

    private static byte[] contentDigest(Headers headers, String payload, Bytes producerSignature) {
        return Canonical.contentDigest(headers, Canonical.payloadDigest(Bytes.utf8(payload)), producerSignature);
    }

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Headers c2Headers() {
        return Headers.builder()
                .add("content-type", Bytes.utf8("text/plain"))
                .add("schl\u00fcssel", Bytes.copyOf(new byte[] {0x00, 0x01, (byte) 0xfe, (byte) 0xff}))
                .build();
    }

    private static Bytes c2ProducerSignature() {
        return Bytes.copyOf(HEX.parseHex("deadbeef"));
    }

    /** Leaf Mi of the documented batch. */
    private static byte[] batchLeaf(int i) {
        byte[] content = contentDigest(Headers.EMPTY, "message " + i, Bytes.EMPTY);
        return Canonical.leaf("orders", 100 + i, TIME + i, "alice", "p-1", i + 1, content);
    }

    private static byte[][] batch(int n) {
        byte[][] leaves = new byte[n][];
        for (int i = 0; i < n; i++) {
            leaves[i] = batchLeaf(i);
        }
        return leaves;
    }

    @Test
    void contentDigestWithoutHeadersOrProducerSignatureMatchesC1() {
        assertThat(HEX.formatHex(contentDigest(Headers.EMPTY, "hello", Bytes.EMPTY))).isEqualTo(C1);
    }

    @Test
    void contentDigestWithNonAsciiHeaderKeyAndProducerSignatureMatchesC2() {
        assertThat(HEX.formatHex(contentDigest(c2Headers(), "payload with headers", c2ProducerSignature())))
                .isEqualTo(C2);
    }

    @Test
    void leafWithEmptyProducerIdMatchesL1() {
        byte[] leaf = Canonical.leaf("orders", 42, TIME, "alice", "", 0, HEX.parseHex(C1));
        assertThat(HEX.formatHex(leaf)).isEqualTo(L1);
    }

    @Test
    void leafWithNonAsciiQueueAndExtremeNumbersMatchesL2() {
        byte[] leaf = Canonical.leaf("bestellungen-\u00fc", Long.parseUnsignedLong("18446744073709551615"), -1,
                "bob@example", "p-0123456789abcdef", Long.parseUnsignedLong("9223372036854775808"), HEX.parseHex(C2));
        assertThat(HEX.formatHex(leaf)).isEqualTo(L2);
    }

    @Test
    void leafHashedFromUtf8BuffersWithACallersDigestMatchesL2() {
        byte[] leaf = Canonical.leaf(Canonical.newSha256(), utf8("bestellungen-\u00fc"),
                Long.parseUnsignedLong("18446744073709551615"), -1, utf8("bob@example"), utf8("p-0123456789abcdef"),
                Long.parseUnsignedLong("9223372036854775808"), ByteBuffer.wrap(HEX.parseHex(C2)));
        assertThat(HEX.formatHex(leaf)).isEqualTo(L2);
    }

    @Test
    void nodeOfL1AndL2MatchesTheVector() {
        assertThat(HEX.formatHex(Canonical.node(HEX.parseHex(L1), HEX.parseHex(L2))))
                .isEqualTo("c6bf36d85ab2feaf404f66766794c378b4086b68bc69e98a41a4626fbd0743a8");
    }

    @ParameterizedTest(name = "M{0}")
    @CsvSource({"0", "1", "2", "3", "4"})
    void batchLeafMatchesItsVector(int i) {
        assertThat(HEX.formatHex(batchLeaf(i))).isEqualTo(M[i]);
    }

    @ParameterizedTest(name = "{0} leaves")
    @CsvSource({
        "1, 385907291a76e4e5ee3d75ffc4bab5c45da924e93566c95ed75eb7de478d636b",
        "2, 893bdc6a24addc8a1b5bf5125b6c7224252c778341c8ec3c06efcfc7e8f4a5b3",
        "3, e0873a9f0503992e443ce6998b805ac91588d175bf8481db258d563b0b72538c",
        "5, " + ROOT_OF_FIVE,
    })
    void rootOfTheFirstMessagesOfTheBatchMatchesTheVector(int n, String root) {
        assertThat(HEX.formatHex(MerkleTree.build(batch(n)).root())).isEqualTo(root);
    }

    @Test
    void proofOfM2InTheTreeOfFiveMatchesTheVector() {
        byte[][] path = MerkleTree.build(batch(5)).paths()[2];
        assertThat(Arrays.stream(path).map(HEX::formatHex)).containsExactly(M[3],
                "893bdc6a24addc8a1b5bf5125b6c7224252c778341c8ec3c06efcfc7e8f4a5b3", M[4]);
    }

    @Test
    void rfc8032TestKeyHasTheDocumentedPublicKeyAndId() {
        SigningKey key = SigningKey.of(HEX.parseHex(RFC8032_SECRET));
        assertThat(HEX.formatHex(key.publicKey().rawBytes()))
                .isEqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assertThat(key.id()).isEqualTo("21fe31dfa154a261");
    }

    @Test
    void batchStatementMatchesTheVector() {
        byte[] statement = Canonical.batchStatement("21fe31dfa154a261", 12345, 5, HEX.parseHex(ROOT_OF_FIVE));
        assertThat(HEX.formatHex(statement)).isEqualTo(STATEMENT);
    }

    @Test
    void signatureOfTheBatchStatementMatchesTheVector() {
        SigningKey key = SigningKey.of(HEX.parseHex(RFC8032_SECRET));
        assertThat(HEX.formatHex(key.sign(HEX.parseHex(STATEMENT)))).isEqualTo(SIGNATURE);
    }
}
