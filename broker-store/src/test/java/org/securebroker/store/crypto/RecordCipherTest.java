package org.securebroker.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RecordCipherTest {

    private static final byte[] KEY = new byte[32];
    private static final byte[] LOG_ID = new byte[16];

    static {
        for (int i = 0; i < 32; i++) {
            KEY[i] = (byte) i;
        }
        for (int i = 0; i < 16; i++) {
            LOG_ID[i] = (byte) (0xa0 + i);
        }
    }

    private final RecordCipher cipher = new RecordCipher();
    private final SegmentKey key = new SegmentKey(LOG_ID, 1000, new DataKey(0x01020304, KEY));

    private byte[] encrypt(SegmentKey k, long offset, String text) {
        ByteBuffer out = ByteBuffer.allocate(text.length() + RecordCipher.TAG_BYTES);
        cipher.encrypt(k, (byte) 1, offset, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), out);
        return out.array();
    }

    @Test
    void shouldMatchTheKnownAnswerOfTheDocumentedNonceAndAssociatedData() {
        // Computed independently (Python 'cryptography' AESGCM) from the construction in
        // docs/storage-format.md: nonce = keyId | offset, aad = "BREC" | 1 | logId | base | offset | keyId.
        byte[] expected = HexFormat.of().parseHex("b94b77563c0b8bf000b828a9e4513fdd9b8ff8029a17f0e60e5796ebc4");
        assertThat(encrypt(key, 1234, "hello, broker")).isEqualTo(expected);
    }

    @Test
    void shouldRoundTrip() {
        byte[] ciphertext = encrypt(key, 7, "payload");
        assertThat(cipher.decrypt(key, (byte) 1, 7, ByteBuffer.wrap(ciphertext))).asString(StandardCharsets.UTF_8).isEqualTo("payload");
    }

    @Test
    void shouldRejectEveryFlippedBit() {
        byte[] ciphertext = encrypt(key, 7, "payload");
        for (int i = 0; i < ciphertext.length * 8; i++) {
            byte[] copy = ciphertext.clone();
            copy[i / 8] ^= (byte) (1 << (i % 8));
            assertThat(cipher.decrypt(key, (byte) 1, 7, ByteBuffer.wrap(copy))).as("bit %d", i).isNull();
        }
    }

    @Test
    void shouldRejectARecordMovedToAnotherOffsetSegmentLogKeyOrVersion() {
        byte[] ciphertext = encrypt(key, 7, "payload");
        byte[] otherLog = LOG_ID.clone();
        otherLog[0] ^= 1;
        assertThat(cipher.decrypt(key, (byte) 1, 8, ByteBuffer.wrap(ciphertext))).isNull();
        assertThat(cipher.decrypt(new SegmentKey(LOG_ID, 1001, key.dataKey()), (byte) 1, 7, ByteBuffer.wrap(ciphertext))).isNull();
        assertThat(cipher.decrypt(new SegmentKey(otherLog, 1000, key.dataKey()), (byte) 1, 7, ByteBuffer.wrap(ciphertext))).isNull();
        assertThat(cipher.decrypt(new SegmentKey(LOG_ID, 1000, new DataKey(0x01020305, KEY)), (byte) 1, 7,
                ByteBuffer.wrap(ciphertext))).isNull();
        assertThat(cipher.decrypt(key, (byte) 2, 7, ByteBuffer.wrap(ciphertext))).isNull();
    }

    @Test
    void shouldRejectTruncatedCiphertext() {
        byte[] ciphertext = encrypt(key, 7, "payload");
        assertThat(cipher.decrypt(key, (byte) 1, 7, ByteBuffer.wrap(ciphertext, 0, 10))).isNull();
        assertThat(cipher.decrypt(key, (byte) 1, 7, ByteBuffer.wrap(new byte[0]))).isNull();
    }

    @Test
    void shouldNeverPrintKeyBytes() {
        DataKey dataKey = new DataKey(5, KEY);
        Kek kek = Kek.of("kek-1", KEY);
        assertThat(dataKey.toString()).doesNotContain(HexFormat.of().formatHex(KEY)).contains("id=5");
        assertThat(kek.toString()).isEqualTo("Kek[id=kek-1]");
        assertThat(key.toString()).doesNotContain("0001020304");
    }

    @Test
    void shouldCompareKeysByValue() {
        assertThat(Kek.of("a", KEY)).isEqualTo(Kek.of("a", KEY.clone()));
        byte[] other = KEY.clone();
        other[31] ^= 1;
        assertThat(Kek.of("a", KEY)).isNotEqualTo(Kek.of("a", other));
    }
}
