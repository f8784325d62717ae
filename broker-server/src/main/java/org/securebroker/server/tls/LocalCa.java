package org.securebroker.server.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
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
import java.time.temporal.ChronoUnit;
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
import org.securebroker.store.io.PrivateDirectories;

/**
 * A local certificate authority for development and small deployments: it issues server
 * certificates (extended key usage serverAuth, with DNS and IP subject alternative names),
 * client certificates (clientAuth, optionally with DNS, URI and email subject alternative names)
 * and certificate revocation lists. Keys are EC P-256, certificates and CRLs are signed with
 * ECDSA over SHA-256, private keys are written as PKCS#8 PEM readable by their owner only.
 *
 * <p>Thread-safety: immutable; the issuing methods may be called concurrently, but callers
 * serialize changes to one CRL file (a revocation reads, extends and rewrites it).
 */
public final class LocalCa {

    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    /** The conventional CRL file, beside the CA certificate. */
    public static final String CA_CRL = "ca.crl";
    /** How long a CRL is current: a new one must be published before then. */
    public static final Duration DEFAULT_CRL_VALIDITY = Duration.ofDays(7);

    /** Subject alternative names of a client certificate, each list possibly empty. */
    public record ClientNames(List<String> dns, List<String> uris, List<String> emails) {
        public static final ClientNames NONE = new ClientNames(List.of(), List.of(), List.of());

        public ClientNames {
            dns = List.copyOf(dns);
            uris = List.copyOf(uris);
            emails = List.copyOf(emails);
        }
    }

    /**
     * The result of a revocation.
     *
     * @param revokedAt when the certificate was first revoked (earlier if it already was)
     * @param alreadyRevoked whether the CRL listed it before
     * @param crl the CRL written
     */
    public record Revocation(X509Certificate certificate, Instant revokedAt, boolean alreadyRevoked, X509CRL crl) {
    }

    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern EMAIL = Pattern.compile("[\\x21-\\x3f\\x41-\\x7e]{1,64}@[A-Za-z0-9.-]{1,253}");

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
            PrivateDirectories.create(dir);
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
        issueClient(commonName, ClientNames.NONE, validity, certFile, keyFile);
    }

    /**
     * Issues a client certificate (extended key usage clientAuth) with subject {@code CN=commonName}
     * and the given subject alternative names, and writes the chain (leaf, then CA) and the key.
     *
     * @throws IllegalArgumentException if a name is not a DNS name, an absolute URI or an email
     *     address, or the validity is not positive
     */
    public X509Certificate issueClient(String commonName, ClientNames names, Duration validity, Path certFile,
                                       Path keyFile) throws IOException {
        List<GeneralName> sans = new ArrayList<>();
        for (String dns : names.dns()) {
            sans.add(new GeneralName(GeneralName.dNSName, checkDnsName(dns)));
        }
        for (String uri : names.uris()) {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, checkUri(uri)));
        }
        for (String email : names.emails()) {
            sans.add(new GeneralName(GeneralName.rfc822Name, checkEmail(email)));
        }
        return issue(commonName, sans, KeyPurposeId.id_kp_clientAuth, validity, certFile, keyFile);
    }

    private X509Certificate issue(String commonName, List<GeneralName> sans, KeyPurposeId purpose, Duration validity,
                                  Path certFile, Path keyFile) throws IOException {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("a certificate's validity must be positive, not " + validity);
        }
        try {
            KeyPair pair = newKeyPair(random);
            Instant now = clock.instant();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(random),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), subject, pair.getPublic())
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
            return cert;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
        }
    }

    /**
     * Adds {@code revoked} to the CRL in {@code crlFile} (created if missing; earlier entries are
     * kept with their dates) and writes it signed by this CA, current for
     * {@link #DEFAULT_CRL_VALIDITY}. Revoking a certificate twice keeps its first date.
     *
     * @throws IllegalArgumentException if this CA did not issue {@code revoked}, or the existing
     *     file is not a CRL of this CA (nothing is written then)
     */
    public Revocation revoke(X509Certificate revoked, Path crlFile) throws IOException {
        return revoke(revoked, crlFile, DEFAULT_CRL_VALIDITY);
    }

    /** As {@link #revoke(X509Certificate, Path)}, with the CRL current for {@code crlValidity}. */
    public Revocation revoke(X509Certificate revoked, Path crlFile, Duration crlValidity) throws IOException {
        if (!issued(revoked)) {
            throw new IllegalArgumentException("the certificate " + revoked.getSubjectX500Principal().getName()
                    + " (serial " + revoked.getSerialNumber().toString(16) + ") was not issued by this CA ("
                    + certificate.getSubjectX500Principal().getName() + "); nothing was changed");
        }
        X509CRL existing = Files.exists(crlFile) ? readOwnCrl(crlFile) : null;
        X509CRLEntry entry = existing == null ? null : existing.getRevokedCertificate(revoked.getSerialNumber());
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS); // the precision a CRL records
        X509CRL crl = writeCrl(crlFile, existing, entry == null ? revoked.getSerialNumber() : null, now, crlValidity);
        return new Revocation(revoked, entry == null ? now : entry.getRevocationDate().toInstant(), entry != null, crl);
    }

    /**
     * Writes a fresh CRL to {@code crlFile}: the entries of the CRL there (none if the file is
     * missing) re-signed with this update now and the next after {@code validity}. Run it before
     * the next update is due so the broker's CRL never goes stale.
     *
     * @throws IllegalArgumentException if the existing file is not a CRL of this CA
     */
    public X509CRL issueCrl(Path crlFile, Duration validity) throws IOException {
        X509CRL existing = Files.exists(crlFile) ? readOwnCrl(crlFile) : null;
        return writeCrl(crlFile, existing, null, clock.instant().truncatedTo(ChronoUnit.SECONDS), validity);
    }

    /** Whether this CA signed {@code cert}. */
    private boolean issued(X509Certificate cert) {
        if (!cert.getIssuerX500Principal().equals(certificate.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(certificate.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private X509CRL readOwnCrl(Path crlFile) throws IOException {
        List<X509CRL> crls = readCrls(crlFile);
        if (crls.size() != 1) {
            throw new IllegalArgumentException(crlFile + " holds " + crls.size() + " CRLs; expected exactly one, of this "
                    + "CA; nothing was changed");
        }
        X509CRL crl = crls.get(0);
        try {
            if (!crl.getIssuerX500Principal().equals(certificate.getSubjectX500Principal())) {
                throw new GeneralSecurityException("issued by " + crl.getIssuerX500Principal().getName());
            }
            crl.verify(certificate.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(crlFile + " is not a CRL of this CA (" + e.getMessage()
                    + "); nothing was changed", e);
        }
        return crl;
    }

    private X509CRL writeCrl(Path crlFile, X509CRL existing, BigInteger newSerial, Instant now, Duration validity)
            throws IOException {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("a CRL's validity must be positive, not " + validity);
        }
        try {
            X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(certificate, Date.from(now))
                    .setNextUpdate(Date.from(now.plus(validity)));
            BigInteger number = BigInteger.ONE;
            if (existing != null) {
                X509CRLHolder holder = new X509CRLHolder(existing.getEncoded());
                builder.addCRL(holder);
                Extension previous = holder.getExtension(Extension.cRLNumber);
                if (previous != null) {
                    number = CRLNumber.getInstance(previous.getParsedValue()).getCRLNumber().add(BigInteger.ONE);
                }
            }
            if (newSerial != null) {
                builder.addCRLEntry(newSerial, Date.from(now), CRLReason.unspecified);
            }
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate));
            X509CRLHolder signed = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key));
            X509CRL crl = new JcaX509CRLConverter().getCRL(signed);
            PemFiles.writeAtomically(crlFile, List.of(crl));
            return crl;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot issue a CRL: " + e.getMessage(), e);
        }
    }

    private static String checkDnsName(String name) {
        if (!DNS_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid DNS name '" + name + "': use letters, digits, '-' and dots, "
                    + "e.g. host.example.com");
        }
        return name;
    }

    private static String checkUri(String uri) {
        try {
            URI parsed = new URI(uri);
            if (!parsed.isAbsolute() || !uri.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new URISyntaxException(uri, "not an absolute ASCII URI");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid URI '" + uri + "': use an absolute URI such as "
                    + "spiffe://example.org/service/orders");
        }
        return uri;
    }

    private static String checkEmail(String email) {
        if (!EMAIL.matcher(email).matches()) {
            throw new IllegalArgumentException("invalid email address '" + email + "': use local@domain");
        }
        return email;
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
        PrivateDirectories.create(AtomicFiles.directoryOf(file));
        Files.writeString(file, out.toString(), StandardCharsets.US_ASCII);
    }

    /** Writes a private key as PKCS#8 PEM, readable by its owner only. */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        }
        PrivateDirectories.create(AtomicFiles.directoryOf(file));
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

    /** Reads every CRL of a PEM file. */
    public static List<X509CRL> readCrls(Path file) throws IOException {
        try {
            return PemFiles.crls(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IOException(file + " " + e.getMessage(), e);
        }
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
