package org.securebroker.server.audit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.securebroker.store.StoreException;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.StorageChannel;

/**
 * The audit signing key: an Ed25519 key pair of its own, apart from the TLS, token and
 * key-encryption keys, so that rotating or leaking one of those says nothing about the audit
 * log's signatures. Files are PEM that {@code openssl pkey} reads: the private key PKCS#8
 * ("BEGIN PRIVATE KEY", written readable by its owner only), the public key SubjectPublicKeyInfo
 * ("BEGIN PUBLIC KEY"). A key's id is the first 16 hex characters of the SHA-256 of its raw
 * 32-byte public key, and every checkpoint names the id of the key that signed it.
 *
 * <p>Thread-safety: stateless.
 */
public final class AuditKeys {

    private static final int MAX_PEM_BYTES = 16 * 1024;

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
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(random);
        Ed25519PublicKeyParameters publicKey = key.generatePublicKey();
        // PKCS#8 version 1 (RFC 8410 without the optional public key), which OpenSSL 3.0 and the
        // JDK read; BouncyCastle's factory writes version 2, which OpenSSL 3.0 refuses
        PrivateKeyInfo info = new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                new DEROctetString(key.getEncoded()));
        byte[] privatePem = pem("PRIVATE KEY", info.getEncoded());
        byte[] publicPem = pem("PUBLIC KEY", SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(publicKey).getEncoded());

        Path privateFile = privateKeyPem.toAbsolutePath();
        Files.createDirectories(privateFile.getParent());
        AtomicFiles.createOwnerOnly(privateFile); // fails if it appeared meanwhile
        try (StorageChannel channel = DefaultFileLayer.INSTANCE.open(privateFile, false)) {
            channel.writeFully(ByteBuffer.wrap(privatePem), 0);
            channel.force(true);
        }
        DefaultFileLayer.INSTANCE.syncDirectory(privateFile.getParent());

        Path publicFile = publicKeyPem.toAbsolutePath();
        Files.createDirectories(publicFile.getParent());
        Files.write(publicFile, publicPem, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return keyId(publicKey);
    }

    /**
     * Loads the private key.
     *
     * @throws IOException if the file is missing, accessible by group or others (naming the
     *     {@code chmod} that fixes it), or not an unencrypted PKCS#8 Ed25519 key
     */
    public static Ed25519PrivateKeyParameters loadPrivate(Path file) throws IOException {
        checkOwnerOnly(file);
        Object o = readPem(file);
        if (!(o instanceof PrivateKeyInfo info)) {
            throw new IOException("audit key file " + file + " holds no unencrypted PKCS#8 private key "
                    + "(expected '-----BEGIN PRIVATE KEY-----')");
        }
        AsymmetricKeyParameter key;
        try {
            key = PrivateKeyFactory.createKey(info);
        } catch (IOException | RuntimeException e) {
            throw new IOException("audit key file " + file + " holds a private key that cannot be decoded", e);
        }
        if (!(key instanceof Ed25519PrivateKeyParameters ed)) {
            throw new IOException("audit key file " + file + " holds a " + info.getPrivateKeyAlgorithm().getAlgorithm()
                    + " key; the audit log signs with Ed25519 only");
        }
        return ed;
    }

    /**
     * Loads a public key.
     *
     * @throws IOException if the file is missing or not an Ed25519 SubjectPublicKeyInfo PEM
     */
    public static Ed25519PublicKeyParameters loadPublic(Path file) throws IOException {
        Object o = readPem(file);
        if (!(o instanceof SubjectPublicKeyInfo info)) {
            throw new IOException("audit public key file " + file + " holds no public key "
                    + "(expected '-----BEGIN PUBLIC KEY-----')");
        }
        AsymmetricKeyParameter key;
        try {
            key = PublicKeyFactory.createKey(info);
        } catch (IOException | RuntimeException e) {
            throw new IOException("audit public key file " + file + " holds a public key that cannot be decoded", e);
        }
        if (!(key instanceof Ed25519PublicKeyParameters ed)) {
            throw new IOException("audit public key file " + file + " holds a " + info.getAlgorithm().getAlgorithm()
                    + " key; audit checkpoints are signed with Ed25519");
        }
        return ed;
    }

    /** The first 16 hex characters of the SHA-256 of the raw 32-byte public key. */
    public static String keyId(Ed25519PublicKeyParameters publicKey) {
        byte[] digest = AuditFormat.sha256().digest(publicKey.getEncoded());
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    /** The id of the private key's public half. */
    public static String keyId(Ed25519PrivateKeyParameters privateKey) {
        return keyId(privateKey.generatePublicKey());
    }

    private static void checkOwnerOnly(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no audit key file; create one with 'broker audit keygen'");
        }
        try {
            KeyringFile.checkPermissions(file);
        } catch (StoreException e) {
            throw new IOException("audit " + e.getMessage(), e);
        }
    }

    private static Object readPem(Path file) throws IOException {
        byte[] bytes = AtomicFiles.read(file, MAX_PEM_BYTES);
        Object o;
        try (Reader reader = new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            o = parser.readObject();
        } catch (IOException | RuntimeException e) {
            // BouncyCastle reports some malformed DER inside PEM with unchecked exceptions
            throw new IOException(file + " is not valid PEM", e);
        }
        if (o == null) {
            throw new IOException(file + " holds no PEM object");
        }
        return o;
    }

    private static byte[] pem(String type, byte[] der) throws IOException {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            writer.writeObject(new PemObject(type, der));
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
