package org.securebroker.server.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.securebroker.store.io.AtomicFiles;
import org.securebroker.store.io.DefaultFileLayer;

/**
 * A local certificate authority for development and small deployments: it issues server
 * certificates (extended key usage serverAuth, with DNS and IP subject alternative names) and
 * client certificates (clientAuth). Keys are EC P-256, certificates are signed with ECDSA over
 * SHA-256, private keys are written as PKCS#8 PEM readable by their owner only.
 *
 * <p>Thread-safety: immutable; the issuing methods may be called concurrently.
 */
public final class LocalCa {

    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final SecureRandom random;
    private final Clock clock;

    private LocalCa(X509Certificate certificate, PrivateKey key, SecureRandom random, Clock clock) {
        this.certificate = certificate;
        this.key = key;
        this.random = random;
        this.clock = clock;
    }

    /** Creates a CA and writes {@code ca.crt} and {@code ca.key} to {@code dir}. */
    public static LocalCa create(Path dir, String commonName, Duration validity, SecureRandom random, Clock clock)
            throws IOException {
        try {
            KeyPair pair = newKeyPair(random);
            X500Name name = new X500Name("CN=" + commonName);
            Instant now = clock.instant();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(random),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(builder, pair.getPrivate());
            Files.createDirectories(dir);
            writeCertificate(dir.resolve(CA_CERT), List.of(cert));
            writePrivateKey(dir.resolve(CA_KEY), pair.getPrivate());
            return new LocalCa(cert, pair.getPrivate(), random, clock);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create a CA: " + e.getMessage(), e);
        }
    }

    /** Loads a CA written by {@link #create}. */
    public static LocalCa load(Path dir, SecureRandom random, Clock clock) throws IOException {
        return new LocalCa(readCertificates(dir.resolve(CA_CERT)).get(0), readPrivateKey(dir.resolve(CA_KEY)), random, clock);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues a server certificate for the given DNS names and IP addresses and writes the
     * certificate chain (leaf, then CA) and the key.
     */
    public void issueServer(String commonName, List<String> dnsNames, List<String> ipAddresses, Duration validity,
                            Path certFile, Path keyFile) throws IOException {
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
        for (String ip : ipAddresses) {
            names.add(new GeneralName(GeneralName.iPAddress, InetAddress.getByName(ip).getHostAddress()));
        }
        issue(commonName, names, KeyPurposeId.id_kp_serverAuth, validity, certFile, keyFile);
    }

    /** Issues a client certificate (extended key usage clientAuth). */
    public void issueClient(String commonName, Duration validity, Path certFile, Path keyFile) throws IOException {
        issue(commonName, List.of(), KeyPurposeId.id_kp_clientAuth, validity, certFile, keyFile);
    }

    private void issue(String commonName, List<GeneralName> sans, KeyPurposeId purpose, Duration validity, Path certFile,
                       Path keyFile) throws IOException {
        try {
            KeyPair pair = newKeyPair(random);
            Instant now = clock.instant();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(random),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), new X500Name("CN=" + commonName),
                    pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            if (!sans.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            X509Certificate cert = sign(builder, key);
            writeCertificate(certFile, List.of(cert, certificate));
            writePrivateKey(keyFile, pair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        return generator.generateKeyPair();
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(127, random).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
        X509CertificateHolder holder = builder.build(signer);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    /** Writes certificates as PEM (readable by everyone: certificates are public). */
    public static void writeCertificate(Path file, List<X509Certificate> chain) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            for (X509Certificate c : chain) {
                pem.writeObject(c);
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, out.toString(), StandardCharsets.US_ASCII);
    }

    /** Writes a private key as PKCS#8 PEM, readable by its owner only. */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.write(DefaultFileLayer.INSTANCE, file, ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.US_ASCII)));
    }

    /** Reads every certificate of a PEM file. */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    out.add(new JcaX509CertificateConverter().getCertificate(holder));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read certificates from " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate");
        }
        return out;
    }

    /** Reads a PKCS#8 (or traditional) PEM private key. */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            Object o = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (o instanceof org.bouncycastle.openssl.PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            throw new IOException(file + " holds no unencrypted PEM private key");
        }
    }
}
