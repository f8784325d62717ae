package org.securebroker.store.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.securebroker.store.failure.StoreException;

/**
 * Wraps data keys under a KEK and unwraps them: AES-256-GCM with a random 96-bit nonce per wrap
 * (a KEK wraps few keys, far below the 2^32 random-nonce limit) and associated data
 * {@code "BDEK" | version | logId | segmentBase | keyId | kekId}.
 *
 * <p>Thread-safety: thread-safe (a cipher per call; wrapping is rare).
 */
public final class KeyWrapper {

    private static final byte[] LABEL = "BDEK".getBytes(StandardCharsets.US_ASCII);
    private static final byte VERSION = 1;

    private final SecureRandom random;

    public KeyWrapper(SecureRandom random) {
        this.random = random;
    }

    public WrappedDataKey wrap(Kek kek, DataKey dataKey, byte[] logId, long segmentBase) {
        byte[] nonce = new byte[WrappedDataKey.NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] plain = dataKey.exportBytes();
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, kek.secretKey(), new GCMParameterSpec(128, nonce));
            cipher.updateAAD(aad(logId, segmentBase, dataKey.id(), kek.id()));
            byte[] wrapped = cipher.doFinal(plain);
            return new WrappedDataKey(segmentBase, dataKey.id(), kek.id(), nonce, wrapped);
        } catch (GeneralSecurityException e) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, "cannot wrap a data key with KEK '" + kek.id() + "'", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * @throws StoreException of kind {@code KEY_ERROR} if the KEK is not in the keyring or the
     *     wrapped key does not authenticate under it (a wrong key or a damaged key file)
     */
    public DataKey unwrap(Keyring keyring, WrappedDataKey wrapped, byte[] logId, String where) {
        Kek kek = keyring.get(wrapped.kekId()).orElseThrow(() -> new StoreException(StoreException.Kind.KEY_ERROR,
                where + ": the data key is wrapped by KEK '" + wrapped.kekId() + "', which is not in the keyring "
                        + keyring.ids() + "; add that key to the key file"));
        byte[] plain = null;
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, kek.secretKey(), new GCMParameterSpec(128, wrapped.nonce()));
            cipher.updateAAD(aad(logId, wrapped.segmentBase(), wrapped.keyId(), kek.id()));
            plain = cipher.doFinal(wrapped.ciphertext());
            return new DataKey(wrapped.keyId(), plain);
        } catch (AEADBadTagException e) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, where + ": the data key does not unwrap with KEK '"
                    + kek.id() + "': the key file holds a different key under that id, or the wrapped key is damaged");
        } catch (GeneralSecurityException e) {
            throw new StoreException(StoreException.Kind.KEY_ERROR, where + ": cannot unwrap the data key", e);
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    private static byte[] aad(byte[] logId, long segmentBase, int keyId, String kekId) {
        byte[] kekBytes = kekId.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(LABEL.length + 1 + logId.length + 8 + 4 + kekBytes.length)
                .put(LABEL).put(VERSION).put(logId).putLong(segmentBase).putInt(keyId).put(kekBytes)
                .array();
    }
}
