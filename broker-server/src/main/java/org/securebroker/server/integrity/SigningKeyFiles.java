package org.securebroker.server.integrity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.integrity.KeyPem;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.PrivateDirectories;

/**
 * The broker's message-signing key files: the private key (PKCS#8 PEM, readable by its owner
 * only) and the public-keys file consumers pin, which lists the current key first and every
 * retired key after it, so messages and receipts signed before a rotation stay verifiable.
 *
 * <p>Thread-safety: stateless; rotation is not safe against a concurrent rotation.
 */
public final class SigningKeyFiles {

    private SigningKeyFiles() {
    }

    /** The outcome of {@link #rotate}. */
    public record Rotation(String previousId, String newId, int publicKeys) {
    }

    /**
     * Creates the first signing key.
     *
     * @return its id
     * @throws java.nio.file.FileAlreadyExistsException if the private key exists already
     */
    public static String create(Path privateKey, Path publicKeys, SecureRandom random) throws IOException {
        if (Files.exists(privateKey)) {
            throw new java.nio.file.FileAlreadyExistsException(privateKey.toString(), null,
                    "refusing to overwrite the message-signing key; rotate it with 'broker keys rotate signing'");
        }
        SigningKey key = SigningKey.generate(random);
        writePublicKeys(publicKeys, prepend(key.publicKey(), publicKeys));
        writePrivate(privateKey, key);
        return key.id();
    }

    /**
     * Replaces the signing key with a new one; the old public key stays in the public-keys file
     * (after the new one), the old private key is gone so it signs nothing more. A missing key
     * is created.
     */
    public static Rotation rotate(Path privateKey, Path publicKeys, SecureRandom random) throws IOException {
        String previous = Files.exists(privateKey) ? loadPrivate(privateKey).id() : "";
        SigningKey key = SigningKey.generate(random);
        List<VerifyingKey> keys = prepend(key.publicKey(), publicKeys);
        // the public key is published first: a consumer that reloads it early only knows a key
        // that signs nothing yet, never misses one that does
        writePublicKeys(publicKeys, keys);
        writePrivate(privateKey, key);
        return new Rotation(previous, key.id(), keys.size());
    }

    /**
     * Loads the private key.
     *
     * @throws IOException if it is missing (naming the command that makes one), readable by
     *     group or others, or not an Ed25519 PKCS#8 key
     */
    public static SigningKey loadPrivate(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "no message-signing key; 'broker init' makes one, 'broker keys rotate signing' adds one to an "
                            + "existing data directory");
        }
        try {
            KeyringFile.checkPermissions(file);
        } catch (StoreException e) {
            throw new IOException("message-signing " + e.getMessage(), e);
        }
        return KeyPem.readPrivateKey(file);
    }

    /**
     * Loads the public keys and checks that {@code current} is among them.
     *
     * @throws IOException if the file is unreadable or does not list the current key
     */
    public static KeySet loadPublic(Path file, SigningKey current) throws IOException {
        KeySet keys = KeyPem.readPublicKeys(file);
        if (keys.get(current.id()).isEmpty()) {
            throw new IOException(file + " does not list the current signing key " + current.id()
                    + "; consumers pinning it could not verify new messages");
        }
        return keys;
    }

    private static List<VerifyingKey> prepend(VerifyingKey key, Path publicKeys) throws IOException {
        List<VerifyingKey> keys = new ArrayList<>();
        keys.add(key);
        if (Files.exists(publicKeys)) {
            keys.addAll(KeyPem.readPublicKeys(publicKeys).keys());
        }
        return keys;
    }

    private static void writePublicKeys(Path file, List<VerifyingKey> keys) throws IOException {
        StringBuilder text = new StringBuilder();
        for (VerifyingKey k : keys) {
            text.append(KeyPem.publicKeyPem(k));
        }
        PrivateDirectories.create(AtomicFiles.directoryOf(file));
        AtomicFiles.write(DefaultFileLayer.INSTANCE, file,
                ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII)));
        if (Files.getFileStore(AtomicFiles.directoryOf(file)).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** Writes a private key as PKCS#8 PEM, durably and readable by its owner only. */
    public static void writePrivate(Path file, SigningKey key) throws IOException {
        PrivateDirectories.create(AtomicFiles.directoryOf(file));
        byte[] pem = KeyPem.privateKeyPem(key);
        try {
            AtomicFiles.write(DefaultFileLayer.INSTANCE, file, ByteBuffer.wrap(pem));
        } finally {
            java.util.Arrays.fill(pem, (byte) 0);
        }
    }
}
