package org.securebroker.server.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.TlsProvider;

/**
 * A throw-away PKI for mutual-TLS tests, written as PEM files to a directory:
 *
 * <ul>
 *   <li>a client CA ({@link #caFile()}) and an unrelated CA ({@link #untrustedCaFile()}), plus an
 *       "impostor" CA with the same name as the client CA but another key;
 *   <li>a server certificate for {@code localhost} / {@code 127.0.0.1} issued by the client CA;
 *   <li>client certificates: {@link #good()} (CN=alice), {@link #expired()},
 *       {@link #notYetValid()}, {@link #noEku()} (no extended key usage),
 *       {@link #serverAuthOnly()}, {@link #revoked()} (listed on {@link #crlFile()}),
 *       {@link #untrusted()} (issued by the unrelated CA), {@link #impostor()} (issued by the
 *       impostor CA) and {@link #withSans()} (DNS, URI and email subject alternative names);
 *   <li>builders for more ({@link #client}, {@link #server}, {@link #writeCrl}) and a JDK client
 *       {@link SSLContext} that trusts the CA and always presents a chosen credential.
 * </ul>
 *
 * Client certificates are valid from {@code now - 1 day} to {@code now + 30 days}; the CRL from
 * {@code now - 1 hour} to {@code now + 7 days}. Keys are EC P-256.
 *
 * <p>Thread-safety: not thread-safe; create one per test.
 */
public final class TestPki {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A certificate and its key, and the files they were written to (the certificate file holds leaf then issuer). */
    public record Credential(X509Certificate certificate, PrivateKey key, X509Certificate issuer, Path certFile,
                             Path keyFile) {
        /** The chain a client presents: the leaf, then its issuer. */
        public X509Certificate[] chain() {
            return new X509Certificate[] {certificate, issuer};
        }
    }

    private record Ca(KeyPair keys, X509Certificate certificate) {
    }

    private final Path dir;
    private final Instant now;
    private final Ca ca;
    private final Ca untrustedCa;
    private final Ca impostorCa;
    private final Credential server;
    private final Credential good;
    private final Credential expired;
    private final Credential notYetValid;
    private final Credential noEku;
    private final Credential serverAuthOnly;
    private final Credential revoked;
    private final Credential untrusted;
    private final Credential impostor;
    private final Credential withSans;
    private X509CRL crl;

    private TestPki(Path dir, Instant now) {
        this.dir = dir;
        this.now = now;
        this.ca = newCa("CN=Test Client CA,O=securebroker tests");
        this.untrustedCa = newCa("CN=Untrusted CA,O=elsewhere");
        this.impostorCa = newCa("CN=Test Client CA,O=securebroker tests");
        writePem(caFile(), List.of(ca.certificate()));
        writePem(untrustedCaFile(), List.of(untrustedCa.certificate()));
        writePem(dir.resolve("ca.key"), List.of(pkcs8(ca.keys().getPrivate())));
        this.server = server("server", "localhost", Duration.ofDays(30));
        Instant from = now.minus(Duration.ofDays(1));
        Instant to = now.plus(Duration.ofDays(30));
        List<KeyPurposeId> clientAuth = List.of(KeyPurposeId.id_kp_clientAuth);
        this.good = issue(ca, "good", "CN=alice", from, to, clientAuth, List.of());
        this.expired = issue(ca, "expired", "CN=expired", now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)),
                clientAuth, List.of());
        this.notYetValid = issue(ca, "not-yet-valid", "CN=early", now.plus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(30)), clientAuth, List.of());
        this.noEku = issue(ca, "no-eku", "CN=no-eku", from, to, List.of(), List.of());
        this.serverAuthOnly = issue(ca, "server-auth-only", "CN=server-auth-only", from, to,
                List.of(KeyPurposeId.id_kp_serverAuth), List.of());
        this.revoked = issue(ca, "revoked", "CN=revoked", from, to, clientAuth, List.of());
        this.untrusted = issue(untrustedCa, "untrusted", "CN=mallory", from, to, clientAuth, List.of());
        this.impostor = issue(impostorCa, "impostor", "CN=alice", from, to, clientAuth, List.of());
        this.withSans = client("with-sans", "CN=svc-orders,O=Example", "DNS:orders.example.com",
                "URI:spiffe://example.org/orders", "email:orders@example.com");
        this.crl = writeCrl(crlFile(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(7)),
                revoked.certificate());
    }

    /** A PKI whose certificates are valid around the current time. */
    public static TestPki create(Path dir) {
        return create(dir, Instant.now());
    }

    /** A PKI whose certificates are valid around {@code now} (use a fixed clock at {@code now}). */
    public static TestPki create(Path dir, Instant now) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TestPki(dir, now);
    }

    public Path dir() {
        return dir;
    }

    public Instant now() {
        return now;
    }

    public X509Certificate caCertificate() {
        return ca.certificate();
    }

    public Path caFile() {
        return dir.resolve("ca.crt");
    }

    public X509Certificate untrustedCaCertificate() {
        return untrustedCa.certificate();
    }

    public Path untrustedCaFile() {
        return dir.resolve("untrusted-ca.crt");
    }

    /** Server certificate for {@code localhost}, {@code 127.0.0.1} (extended key usage serverAuth). */
    public Credential server() {
        return server;
    }

    /** CN=alice, clientAuth: accepted. */
    public Credential good() {
        return good;
    }

    public Credential expired() {
        return expired;
    }

    public Credential notYetValid() {
        return notYetValid;
    }

    /** Without an extended key usage extension. */
    public Credential noEku() {
        return noEku;
    }

    /** With extended key usage serverAuth only. */
    public Credential serverAuthOnly() {
        return serverAuthOnly;
    }

    /** Listed on {@link #crl()}. */
    public Credential revoked() {
        return revoked;
    }

    /** Issued by the unrelated CA. */
    public Credential untrusted() {
        return untrusted;
    }

    /** CN=alice, issued by a CA with the client CA's name but another key. */
    public Credential impostor() {
        return impostor;
    }

    /** CN=svc-orders,O=Example with DNS orders.example.com, URI spiffe://example.org/orders, email orders@example.com. */
    public Credential withSans() {
        return withSans;
    }

    /** The CRL listing {@link #revoked()}, signed by the client CA. */
    public Path crlFile() {
        return dir.resolve("ca.crl");
    }

    public X509CRL crl() {
        return crl;
    }

    /**
     * Issues a client certificate (clientAuth, valid like {@link #good()}) from the client CA.
     *
     * @param subjectDn e.g. {@code CN=bob,O=Example}
     * @param sans each {@code DNS:name}, {@code URI:uri}, {@code email:address}
     */
    public Credential client(String fileName, String subjectDn, String... sans) {
        List<GeneralName> names = new ArrayList<>();
        for (String san : sans) {
            String[] kv = san.split(":", 2);
            names.add(switch (kv[0]) {
                case "DNS" -> new GeneralName(GeneralName.dNSName, kv[1]);
                case "URI" -> new GeneralName(GeneralName.uniformResourceIdentifier, kv[1]);
                case "email" -> new GeneralName(GeneralName.rfc822Name, kv[1]);
                default -> throw new IllegalArgumentException("unknown SAN kind in " + san);
            });
        }
        return issue(ca, fileName, subjectDn, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)),
                List.of(KeyPurposeId.id_kp_clientAuth), names);
    }

    /** Issues a server certificate (serverAuth; DNS {@code dnsName}, IP 127.0.0.1) valid from an hour ago. */
    public Credential server(String fileName, String dnsName, Duration validity) {
        return issue(ca, fileName, "CN=" + dnsName, now.minus(Duration.ofHours(1)), now.plus(validity),
                List.of(KeyPurposeId.id_kp_serverAuth),
                List.of(new GeneralName(GeneralName.dNSName, dnsName), new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    }

    /** Issues a server certificate with the given validity window (e.g. an expired one). */
    public Credential server(String fileName, Instant notBefore, Instant notAfter) {
        return issue(ca, fileName, "CN=localhost", notBefore, notAfter, List.of(KeyPurposeId.id_kp_serverAuth),
                List.of(new GeneralName(GeneralName.dNSName, "localhost")));
    }

    /** Writes a CRL signed by the client CA listing {@code revoked} (revoked an hour before {@code thisUpdate}). */
    public X509CRL writeCrl(Path file, Instant thisUpdate, Instant nextUpdate, X509Certificate... revokedCerts) {
        X509CRL written = crl(ca, thisUpdate, nextUpdate, revokedCerts);
        writePem(file, List.of(written));
        if (file.equals(crlFile())) {
            crl = written;
        }
        return written;
    }

    /** Writes a CRL signed by the unrelated CA (the client CA must refuse it). */
    public X509CRL writeUntrustedCrl(Path file, X509Certificate... revokedCerts) {
        X509CRL written = crl(untrustedCa, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(7)), revokedCerts);
        writePem(file, List.of(written));
        return written;
    }

    /** The configuration for a listener with the server certificate and this PKI's client CA and CRL. */
    public BrokerConfig.Tls tlsConfig(BrokerConfig.ClientAuth clientAuth, TlsProvider provider) {
        return new BrokerConfig.Tls(server.certFile(), server.keyFile(), provider, clientAuth, caFile(), crlFile(),
                List.of(new BrokerConfig.PrincipalRule(BrokerConfig.PrincipalSource.SUBJECT,
                        Pattern.compile("CN=([^,]+)(,.*)?"))));
    }

    /**
     * A JDK client context that trusts the client CA (which also issued the server certificate)
     * and always presents {@code credential}, whatever CAs the server asks for; null presents none.
     */
    public SSLContext clientContext(Credential credential) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(credential == null ? null : new javax.net.ssl.KeyManager[] {new FixedKeyManager(credential)},
                    tmf.getTrustManagers(), RANDOM);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A key manager that always presents {@code credential}, whatever CAs the server asks for, so
     * that the server's verifier decides (a stock key manager would withhold a certificate of
     * another CA). For clients of any TLS library that takes a JDK key manager.
     */
    public static X509ExtendedKeyManager keyManager(Credential credential) {
        return new FixedKeyManager(credential);
    }

    private Ca newCa(String dn) {
        try {
            KeyPair keys = newKeyPair();
            X500Name name = x500(dn);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofDays(2))), Date.from(now.plus(Duration.ofDays(365))), name,
                    keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
            return new Ca(keys, sign(builder, keys.getPrivate()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Credential issue(Ca issuer, String fileName, String subjectDn, Instant notBefore, Instant notAfter,
                             List<KeyPurposeId> purposes, List<GeneralName> sans) {
        try {
            KeyPair keys = newKeyPair();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer.certificate(), serial(),
                    Date.from(notBefore), Date.from(notAfter), x500(subjectDn), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(issuer.certificate()));
            if (!purposes.isEmpty()) {
                builder.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
            }
            if (!sans.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            X509Certificate cert = sign(builder, issuer.keys().getPrivate());
            Path certFile = dir.resolve(fileName + ".crt");
            Path keyFile = dir.resolve(fileName + ".key");
            writePem(certFile, List.of(cert, issuer.certificate()));
            writePem(keyFile, List.of(pkcs8(keys.getPrivate())));
            return new Credential(cert, keys.getPrivate(), issuer.certificate(), certFile, keyFile);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509CRL crl(Ca issuer, Instant thisUpdate, Instant nextUpdate, X509Certificate... revokedCerts) {
        try {
            X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(issuer.certificate(), Date.from(thisUpdate))
                    .setNextUpdate(Date.from(nextUpdate));
            for (X509Certificate c : revokedCerts) {
                builder.addCRLEntry(c.getSerialNumber(), Date.from(thisUpdate.minus(Duration.ofHours(1))),
                        org.bouncycastle.asn1.x509.CRLReason.keyCompromise);
            }
            return new JcaX509CRLConverter().getCRL(builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.keys().getPrivate())));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An RFC 2253 name ({@code CN=alice,O=Example}), encoded as X500Principal does (most significant RDN first). */
    private static X500Name x500(String rfc2253) {
        return X500Name.getInstance(new X500Principal(rfc2253).getEncoded());
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** Writes PEM objects (certificates, CRLs, key generators) to {@code file}. */
    public static void writePem(Path file, List<?> objects) {
        try {
            StringWriter out = new StringWriter();
            try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
                for (Object o : objects) {
                    pem.writeObject(o);
                }
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, out.toString(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A key in PEM (PKCS#8) form. */
    public static JcaPKCS8Generator pkcs8(PrivateKey key) {
        try {
            return new JcaPKCS8Generator(key, null);
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Presents one credential whatever the server asks for, so the server's verifier is what decides. */
    private static final class FixedKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final Credential credential;

        FixedKeyManager(Credential credential) {
            this.credential = credential;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return credential.chain();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return credential.key();
        }
    }
}
