package org.securebroker.protocol.integrity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Ed25519 keys in the PEM files {@code openssl} reads and writes: public keys as
 * SubjectPublicKeyInfo ("BEGIN PUBLIC KEY", RFC 8410), private keys as unencrypted PKCS#8
 * version 1 ("BEGIN PRIVATE KEY"). A public-key file may hold several keys one after another
 * (the broker's current and retired signing keys).
 *
 * <p>Thread-safety: stateless.
 */
public final class KeyPem {

    /** The DER of an Ed25519 SubjectPublicKeyInfo up to the 32 key bytes. */
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    /** The DER of an Ed25519 PKCS#8 v1 PrivateKeyInfo up to the 32 key bytes. */
    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");
    private static final int MAX_FILE_BYTES = 1 << 20;

    private KeyPem() {
    }

    /**
     * Every public key of a PEM file, in file order.
     *
     * @throws IOException if the file cannot be read, holds no public key, or holds a block that
     *     is not an Ed25519 public key (naming the block)
     */
    public static KeySet readPublicKeys(Path file) throws IOException {
        List<VerifyingKey> keys = new ArrayList<>();
        List<byte[]> blocks = blocks(read(file), "PUBLIC KEY", file);
        for (int i = 0; i < blocks.size(); i++) {
            keys.add(publicKey(blocks.get(i), file + ", key " + (i + 1)));
        }
        if (keys.isEmpty()) {
            throw new IOException(file + " holds no public key (expected '-----BEGIN PUBLIC KEY-----')");
        }
        return KeySet.of(keys);
    }

    /**
     * The private key of a PEM file.
     *
     * @throws IOException if the file cannot be read or holds no unencrypted Ed25519 PKCS#8 key
     */
    public static SigningKey readPrivateKey(Path file) throws IOException {
        List<byte[]> blocks = blocks(read(file), "PRIVATE KEY", file);
        if (blocks.size() != 1) {
            throw new IOException(file + " must hold exactly one unencrypted private key "
                    + "('-----BEGIN PRIVATE KEY-----'), found " + blocks.size());
        }
        byte[] der = blocks.get(0);
        try {
            if (der.length != PKCS8_PREFIX.length + 32
                    || !Arrays.equals(der, 0, PKCS8_PREFIX.length, PKCS8_PREFIX, 0, PKCS8_PREFIX.length)) {
                throw new IOException(file + " holds a private key that is not Ed25519 in PKCS#8 version 1 "
                        + "(make one with 'openssl genpkey -algorithm ed25519')");
            }
            return SigningKey.of(Arrays.copyOfRange(der, PKCS8_PREFIX.length, der.length));
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    /** The PEM of one public key. */
    public static String publicKeyPem(VerifyingKey key) {
        byte[] raw = key.rawBytes();
        byte[] der = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + raw.length);
        System.arraycopy(raw, 0, der, SPKI_PREFIX.length, raw.length);
        return pem("PUBLIC KEY", der);
    }

    /** The PEM of a private key (handle the result as a secret). */
    public static byte[] privateKeyPem(SigningKey key) {
        byte[] secret = key.insecureExportSecretBytes();
        byte[] der = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + secret.length);
        System.arraycopy(secret, 0, der, PKCS8_PREFIX.length, secret.length);
        Arrays.fill(secret, (byte) 0);
        String text = pem("PRIVATE KEY", der);
        Arrays.fill(der, (byte) 0);
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static VerifyingKey publicKey(byte[] der, String where) throws IOException {
        if (der.length != SPKI_PREFIX.length + 32
                || !Arrays.equals(der, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
            throw new IOException(where + " is not an Ed25519 public key");
        }
        try {
            return VerifyingKey.of(Arrays.copyOfRange(der, SPKI_PREFIX.length, der.length));
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage());
        }
    }

    private static String read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new IOException(file + " is " + size + " bytes; a key file has at most " + MAX_FILE_BYTES);
        }
        return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
    }

    private static List<byte[]> blocks(String text, String type, Path file) throws IOException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        List<byte[]> out = new ArrayList<>();
        int at = 0;
        while (true) {
            int b = text.indexOf(begin, at);
            if (b < 0) {
                break;
            }
            int e = text.indexOf(end, b);
            if (e < 0) {
                throw new IOException(file + ": '" + begin + "' without its '" + end + "'");
            }
            String body = text.substring(b + begin.length(), e).replaceAll("\\s", "");
            try {
                out.add(Base64.getDecoder().decode(body));
            } catch (IllegalArgumentException ex) {
                throw new IOException(file + ": a " + type + " block is not valid base64");
            }
            at = e + end.length();
        }
        return out;
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
