package org.securebroker.store.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates the store's metadata files (log manifests, the store state, subscription state,
 * the broker's queue catalog): HMAC-SHA256 under a key derived from a KEK with HKDF-SHA256
 * (RFC 5869, no salt, info {@code "securebroker metadata v1 " + purpose}). A file names the KEK
 * its tag was made with, so a reader picks the same KEK from the keyring; after a KEK rotation
 * the next write of the file uses the current KEK.
 *
 * <p>Editing a file without the KEK is detected. Replacing a file by an older authentic copy is
 * not detected by the tag alone: each file's format adds what binds it to its place and time
 * (ids, generations, cross-checks), see docs/storage-format.md.
 *
 * <p>Thread-safety: immutable; each call uses its own {@link Mac}.
 */
public final class MetadataMac {

    /** Tag length in bytes. */
    public static final int TAG_BYTES = 32;
    private static final String HMAC = "HmacSHA256";

    private final String kekId;
    private final String purpose;
    private final SecretKeySpec key;

    private MetadataMac(String kekId, String purpose, byte[] key) {
        this.kekId = kekId;
        this.purpose = purpose;
        this.key = new SecretKeySpec(key, HMAC);
        Arrays.fill(key, (byte) 0);
    }

    /** Derives the metadata key of {@code purpose} (a short ASCII label) from {@code kek}. */
    public static MetadataMac derive(Kek kek, String purpose) {
        byte[] ikm = kek.exportBytes();
        try {
            byte[] prk = hmac(new byte[32], ikm);
            byte[] info = ("securebroker metadata v1 " + purpose).getBytes(StandardCharsets.US_ASCII);
            byte[] input = Arrays.copyOf(info, info.length + 1);
            input[info.length] = 1;
            byte[] okm = hmac(prk, input);
            Arrays.fill(prk, (byte) 0);
            return new MetadataMac(kek.id(), purpose, okm);
        } finally {
            Arrays.fill(ikm, (byte) 0);
        }
    }

    /** The metadata key of {@code purpose} under the KEK {@code kekId} of {@code keyring}, if present. */
    public static java.util.Optional<MetadataMac> derive(Keyring keyring, String kekId, String purpose) {
        return keyring.get(kekId).map(k -> derive(k, purpose));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** The id of the KEK this key was derived from; files record it beside the tag. */
    public String kekId() {
        return kekId;
    }

    public String purpose() {
        return purpose;
    }

    /** A fresh HMAC-SHA256 instance keyed for this purpose, for tags over several pieces. */
    public Mac newMac() {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** The tag of {@code data[offset, offset + length)}. */
    public byte[] tag(byte[] data, int offset, int length) {
        Mac mac = newMac();
        mac.update(data, offset, length);
        return mac.doFinal();
    }

    /** Whether {@code tag} is the tag of {@code data[offset, offset + length)}, compared in constant time. */
    public boolean verify(byte[] data, int offset, int length, byte[] tag) {
        return MessageDigest.isEqual(tag(data, offset, length), tag);
    }

    @Override
    public String toString() {
        return "MetadataMac[" + purpose + ", kek=" + kekId + "]";
    }
}
