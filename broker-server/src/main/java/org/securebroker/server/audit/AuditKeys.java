package org.securebroker.server.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;
import org.securebroker.protocol.integrity.KeyPem;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.PrivateDirectories;
import org.securebroker.store.io.StorageChannel;

/**
 * The audit signing key: an Ed25519 key pair of its own, apart from the TLS, token,
 * message-signing and key-encryption keys, so that rotating or leaking one of those says nothing
 * about the audit log's signatures. Files are PEM that {@code openssl pkey} reads, in the same
 * encoding as every other Ed25519 key of the broker ({@link KeyPem}): the private key PKCS#8
 * ("BEGIN PRIVATE KEY", written readable by its owner only), the public key SubjectPublicKeyInfo
 * ("BEGIN PUBLIC KEY"). Keys are the broker's own Ed25519 types ({@link SigningKey},
 * {@link VerifyingKey}); a key's id ({@link VerifyingKey#id()}) is the first 16 hex characters of
 * the SHA-256 of its raw 32-byte public key, and every checkpoint names the id of the key that
 * signed it.
 *
 * <p>Thread-safety: stateless.
 */
public final class AuditKeys {

    private AuditKeys() {
    }

    /**
     * Creates a key pair and writes both files, the private key readable by its owner only.
     *
     * @return the new key's id
     * @throws FileAlreadyExistsException if either file exists; nothing is overwritten
     */
    public static String create(Path publicKeyPem, Path privateKeyPem, SecureRandom random) throws IOException {
        for (Path p : new Path[] {publicKeyPem, privateKeyPem}) {
            if (Files.exists(p)) {
                throw new FileAlreadyExistsException(p.toString(), null,
                        "refusing to overwrite an existing audit key file; move it away first");
            }
        }
        SigningKey key = SigningKey.generate(random);
        byte[] privatePem = KeyPem.privateKeyPem(key);
        Path privateFile = privateKeyPem.toAbsolutePath();
        PrivateDirectories.create(AtomicFiles.directoryOf(privateFile));
        AtomicFiles.createOwnerOnly(privateFile); // fails if it appeared meanwhile
        try (StorageChannel channel = DefaultFileLayer.INSTANCE.open(privateFile, false)) {
            channel.writeFully(ByteBuffer.wrap(privatePem), 0);
            channel.force(true);
        } finally {
            Arrays.fill(privatePem, (byte) 0);
        }
        DefaultFileLayer.INSTANCE.syncDirectory(AtomicFiles.directoryOf(privateFile));

        Path publicFile = publicKeyPem.toAbsolutePath();
        PrivateDirectories.create(AtomicFiles.directoryOf(publicFile));
        Files.writeString(publicFile, KeyPem.publicKeyPem(key.publicKey()), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        return key.id();
    }

    /**
     * Loads the private key.
     *
     * @throws IOException if the file is missing, accessible by group or others (naming the
     *     {@code chmod} that fixes it), or not an unencrypted PKCS#8 Ed25519 key
     */
    public static SigningKey loadPrivate(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no audit key file; create one with 'broker audit keygen'");
        }
        try {
            KeyringFile.checkPermissions(file);
        } catch (StoreException e) {
            throw new IOException("audit " + e.getMessage(), e);
        }
        return KeyPem.readPrivateKey(file);
    }

    /**
     * Loads a public key.
     *
     * @throws IOException if the file is missing or does not hold exactly one Ed25519
     *     SubjectPublicKeyInfo PEM
     */
    public static VerifyingKey loadPublic(Path file) throws IOException {
        KeySet keys = KeyPem.readPublicKeys(file);
        if (keys.size() != 1) {
            throw new IOException("audit public key file " + file + " holds " + keys.size() + " keys; give each key "
                    + "in a file of its own");
        }
        return keys.keys().get(0);
    }
}
