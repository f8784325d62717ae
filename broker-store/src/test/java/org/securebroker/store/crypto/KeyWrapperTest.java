package org.securebroker.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.securebroker.store.failure.StoreException;

class KeyWrapperTest {

    private final SecureRandom random = new SecureRandom();
    private final KeyWrapper wrapper = new KeyWrapper(random);
    private final byte[] logId = new byte[16];

    private static Kek kek(String id, SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Kek.of(id, b);
    }

    @Test
    void shouldUnwrapWhatItWrapped() {
        Kek kek = kek("k1", random);
        DataKey dek = DataKey.generate(random, 42);
        WrappedDataKey wrapped = wrapper.wrap(kek, dek, logId, 100);
        assertThat(wrapper.unwrap(Keyring.of(kek), wrapped, logId, "test")).isEqualTo(dek);
    }

    @Test
    void shouldNameAMissingKek() {
        DataKey dek = DataKey.generate(random, 42);
        WrappedDataKey wrapped = wrapper.wrap(kek("k1", random), dek, logId, 100);
        assertThatThrownBy(() -> wrapper.unwrap(Keyring.of(kek("k2", random)), wrapped, logId, "test"))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("KEK 'k1'")
                .hasMessageContaining("not in the keyring");
    }

    @Test
    void shouldRefuseAWrongKekUnderTheSameId() {
        DataKey dek = DataKey.generate(random, 42);
        WrappedDataKey wrapped = wrapper.wrap(kek("k1", random), dek, logId, 100);
        assertThatThrownBy(() -> wrapper.unwrap(Keyring.of(kek("k1", random)), wrapped, logId, "test"))
                .isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).kind()).isEqualTo(StoreException.Kind.KEY_ERROR))
                .hasMessageContaining("does not unwrap");
    }

    @Test
    void shouldRefuseAWrappedKeyMovedToAnotherSegmentOrLog() {
        Kek kek = kek("k1", random);
        DataKey dek = DataKey.generate(random, 42);
        WrappedDataKey wrapped = wrapper.wrap(kek, dek, logId, 100);
        WrappedDataKey moved = new WrappedDataKey(200, wrapped.keyId(), wrapped.kekId(), wrapped.nonce(), wrapped.ciphertext());
        byte[] otherLog = logId.clone();
        otherLog[3] = 9;
        assertThatThrownBy(() -> wrapper.unwrap(Keyring.of(kek), moved, logId, "test")).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> wrapper.unwrap(Keyring.of(kek), wrapped, otherLog, "test")).isInstanceOf(StoreException.class);
    }
}
