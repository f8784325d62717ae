package org.securebroker.server.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.PrivateDirectories;

/**
 * Parses PEM certificates, private keys and CRLs from bytes already read, so that what is
 * fingerprinted is exactly what is parsed. Problems are reported without the file name (the
 * caller knows which setting and file it read) and never include key bytes.
 *
 * <p>Thread-safety: stateless.
 */
final class PemFiles {

    private static final int MAX_OBJECTS = 100_000;

    private PemFiles() {
    }

    /** Every certificate in {@code pem}, in file order. */
    static List<X509Certificate> certificates(byte[] pem) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (Object o : objects(pem)) {
            if (o instanceof X509CertificateHolder holder) {
                try {
                    out.add(new JcaX509CertificateConverter().getCertificate(holder));
                } catch (GeneralSecurityException e) {
                    throw new IOException("holds a certificate that cannot be decoded: " + e.getMessage(), e);
                }
            } else {
                other.add(kind(o));
            }
        }
        if (out.isEmpty()) {
            throw new IOException("holds no PEM certificate (expected '-----BEGIN CERTIFICATE-----'"
                    + (other.isEmpty() ? "" : "; found " + other) + ")");
        }
        return out;
    }

    /** The single unencrypted private key in {@code pem} (PKCS#8 or traditional OpenSSL form). */
    static PrivateKey privateKey(byte[] pem) throws IOException {
        List<Object> objects = objects(pem);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object o : objects) {
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                throw new IOException("holds an encrypted private key; the broker needs an unencrypted PKCS#8 PEM key "
                        + "protected by file permissions (0600)");
            }
        }
        List<String> other = objects.stream().map(PemFiles::kind).toList();
        throw new IOException("holds no PEM private key (expected '-----BEGIN PRIVATE KEY-----'"
                + (other.isEmpty() ? "" : "; found " + other) + ")");
    }

    /** Every CRL in {@code pem}. */
    static List<X509CRL> crls(byte[] pem) throws IOException {
        List<X509CRL> out = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (Object o : objects(pem)) {
            if (o instanceof X509CRLHolder holder) {
                try {
                    out.add(new JcaX509CRLConverter().getCRL(holder));
                } catch (GeneralSecurityException e) {
                    throw new IOException("holds a CRL that cannot be decoded: " + e.getMessage(), e);
                }
            } else {
                other.add(kind(o));
            }
        }
        if (out.isEmpty()) {
            throw new IOException("holds no PEM CRL (expected '-----BEGIN X509 CRL-----'"
                    + (other.isEmpty() ? "" : "; found " + other) + ")");
        }
        return out;
    }

    /** Writes PEM objects to {@code file} atomically (a reader never sees half a file). */
    static void writeAtomically(Path file, List<?> objects) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            for (Object o : objects) {
                pem.writeObject(o);
            }
        }
        Path target = file.toAbsolutePath();
        PrivateDirectories.create(AtomicFiles.directoryOf(target));
        Path tmp = target.resolveSibling(AtomicFiles.nameOf(target) + ".tmp");
        Files.writeString(tmp, text.toString(), StandardCharsets.US_ASCII);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<Object> objects(byte[] pem) throws IOException {
        List<Object> out = new ArrayList<>();
        try (Reader reader = new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object o;
            while (out.size() <= MAX_OBJECTS && (o = parser.readObject()) != null) {
                out.add(o);
            }
        } catch (IOException e) {
            throw new IOException("is not valid PEM: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // BouncyCastle reports some malformed DER inside PEM with unchecked exceptions
            throw new IOException("is not valid PEM: " + e.getMessage(), e);
        }
        if (out.size() > MAX_OBJECTS) {
            throw new IOException("holds more than " + MAX_OBJECTS + " PEM objects");
        }
        return out;
    }

    private static String kind(Object o) {
        if (o instanceof X509CertificateHolder) {
            return "a certificate";
        }
        if (o instanceof X509CRLHolder) {
            return "a CRL";
        }
        if (o instanceof PrivateKeyInfo || o instanceof PEMKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo
                || o instanceof PEMEncryptedKeyPair) {
            return "a private key";
        }
        return o.getClass().getSimpleName();
    }
}
