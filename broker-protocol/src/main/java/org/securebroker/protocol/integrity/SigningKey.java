package org.securebroker.protocol.integrity;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 private key with its id, signing with BouncyCastle's RFC 8032 implementation.
 *
 * <p>Thread-safety: immutable; {@link #sign} may be called from any thread.
 */
public final class SigningKey {

    private final byte[] secret;
    private final VerifyingKey publicKey;

    private SigningKey(byte[] secret) {
        if (secret.length != Ed25519.SECRET_KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 private key has 32 bytes, not " + secret.length);
        }
        this.secret = secret.clone();
        byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
        Ed25519.generatePublicKey(this.secret, 0, pk, 0);
        this.publicKey = VerifyingKey.of(pk);
    }

    /** The key with these 32 raw private-key bytes (RFC 8032 seed). */
    public static SigningKey of(byte[] secret) {
        return new SigningKey(Objects.requireNonNull(secret, "secret"));
    }

    /** A new key from {@code random}. */
    public static SigningKey generate(java.security.SecureRandom random) {
        byte[] seed = new byte[Ed25519.SECRET_KEY_SIZE];
        random.nextBytes(seed);
        try {
            return new SigningKey(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** The public half. */
    public VerifyingKey publicKey() {
        return publicKey;
    }

    /** The key id: see {@link VerifyingKey#id()}. */
    public String id() {
        return publicKey.id();
    }

    /** The 64-byte Ed25519 signature of {@code message}. */
    public byte[] sign(byte[] message) {
        byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
        Ed25519.sign(secret, 0, message, 0, message.length, sig, 0);
        return sig;
    }

    /**
     * A copy of the 32 raw private-key bytes: the secret itself, out of this type's protection.
     * Only for writing the key file ({@link KeyPem#privateKeyPem}) and for handing the key to
     * another Ed25519 implementation that cannot take a {@code SigningKey}; the caller overwrites
     * the copy as soon as it is done. Named so that review can find every use.
     */
    public byte[] insecureExportSecretBytes() {
        return secret.clone();
    }

    /** Names the key id only. */
    @Override
    public String toString() {
        return "SigningKey[" + id() + "]";
    }

    static String idOf(byte[] rawPublicKey) {
        return HexFormat.of().formatHex(Canonical.sha256(rawPublicKey), 0, 8);
    }
}
