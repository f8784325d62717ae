package org.securebroker.server.tls;

import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.securebroker.server.config.BrokerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS material in force: the server's certificate chain and key, and for mutual TLS the
 * client CA certificates and CRL, turned into the {@link SslContext} new connections use.
 *
 * <p>{@link #reload()} re-reads every file and validates the result fully before anything is
 * swapped: the files parse, the server certificate is valid now and the private key belongs to
 * it, the client CAs are CA certificates that have not expired, every CRL is signed by a client
 * CA, and the TLS context builds. On any problem it throws {@link TlsMaterialException} naming
 * the setting, the file and what is wrong, and the material in force stays. The pipeline reads
 * {@link #context()} for each new connection, so a reload affects new connections only.
 *
 * <p>{@link #reloadIfChanged()} is for polling: it fingerprints each file (size, modification
 * time and SHA-256 of the content) and reloads only when a fingerprint differs from the material
 * in force. A failed reload is logged at ERROR once per set of file contents, not on every poll.
 * Each file is read once per attempt, and what is parsed is exactly what was fingerprinted.
 *
 * <p>What is loaded is logged at INFO (subjects, validity, CRL sizes); key material never is.
 *
 * <p>Thread-safety: thread-safe. {@link #context()} never blocks; reloads are serialized.
 */
public final class TlsMaterial {

    private static final Logger LOG = LoggerFactory.getLogger(TlsMaterial.class);
    private static final int MAX_PEM_BYTES = 1 << 20;
    private static final int MAX_CRL_BYTES = 64 << 20;
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String ANY_PURPOSE = "2.5.29.37.0";
    /** What {@link #keyMatches} signs: any fixed bytes do, a key pair either verifies them or not. */
    private static final byte[] KEY_PAIR_CHALLENGE = "securebroker key pair check".getBytes(StandardCharsets.US_ASCII);

    /** The configuration settings that name files, with their keys for messages. */
    enum Setting {
        CERTIFICATE("tls.certificate", MAX_PEM_BYTES),
        PRIVATE_KEY("tls.privateKey", MAX_PEM_BYTES),
        CLIENT_CA("tls.clientCa", MAX_PEM_BYTES),
        CRL("tls.crl", MAX_CRL_BYTES);

        final String key;
        final int maxBytes;

        Setting(String key, int maxBytes) {
            this.key = key;
            this.maxBytes = maxBytes;
        }
    }

    /** What identifies a version of a file; a file that cannot be read has its problem instead. */
    record Fingerprint(long size, FileTime modified, String sha256, String problem) {
        @Override
        public String toString() {
            return problem != null ? problem : size + " bytes, modified " + modified;
        }
    }

    private record FileContent(Path path, Fingerprint fingerprint, byte[] bytes) {
    }

    private record Loaded(SslContext context, X509Certificate serverCertificate, ClientCertificateVerifier verifier,
                          Map<Setting, Fingerprint> fingerprints) {
    }

    private final BrokerConfig.Tls config;
    private final Clock clock;
    private final CertificatePrincipalMapper principalMapper;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final Object reloadLock = new Object();
    /** The fingerprints of the last failed attempt, so a bad file is reported once; guarded by reloadLock. */
    private Map<Setting, Fingerprint> failed;

    private TlsMaterial(BrokerConfig.Tls config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.principalMapper = new CertificatePrincipalMapper(config.principalMapping());
    }

    /**
     * Loads the material named by {@code tls}.
     *
     * @param clock judges the validity of certificates and CRLs, now and in every handshake
     * @throws TlsMaterialException naming the setting, the file and what is wrong
     */
    public static TlsMaterial load(BrokerConfig.Tls tls, Clock clock) {
        TlsMaterial material = new TlsMaterial(tls, clock);
        Map<Setting, FileContent> files = material.read();
        try {
            Loaded loaded = material.build(files);
            material.current.set(loaded);
            material.describe("loaded", loaded);
        } finally {
            wipe(files);
        }
        return material;
    }

    /** The context for new connections. */
    public SslContext context() {
        return current.get().context();
    }

    /** How certificates become principals ({@code tls.principalMapping}). */
    public CertificatePrincipalMapper principalMapper() {
        return principalMapper;
    }

    /** The verifier of client certificates in force; empty when {@code tls.clientAuth} is NONE. */
    public Optional<ClientCertificateVerifier> clientVerifier() {
        return Optional.ofNullable(current.get().verifier());
    }

    /** The server certificate in force (the first of its chain). */
    public X509Certificate serverCertificate() {
        return current.get().serverCertificate();
    }

    public BrokerConfig.ClientAuth clientAuth() {
        return config.clientAuth();
    }

    /**
     * Re-reads and validates every file, then installs the new material.
     *
     * @throws TlsMaterialException naming the setting, the file and what is wrong; the material
     *     in force stays
     */
    public void reload() {
        synchronized (reloadLock) {
            Map<Setting, FileContent> files = read();
            try {
                install(files);
            } catch (TlsMaterialException e) {
                failed = fingerprints(files);
                throw e;
            } finally {
                wipe(files);
            }
        }
    }

    /**
     * Reloads if any file differs from the material in force. Never throws: a failure is logged
     * at ERROR (once for each new set of file contents) and the material in force stays.
     *
     * @return whether new material was installed
     */
    public boolean reloadIfChanged() {
        synchronized (reloadLock) {
            Map<Setting, FileContent> files = read();
            try {
                Map<Setting, Fingerprint> now = fingerprints(files);
                if (now.equals(current.get().fingerprints())) {
                    failed = null;
                    return false;
                }
                if (now.equals(failed)) {
                    return false;
                }
                try {
                    install(files);
                    return true;
                } catch (RuntimeException e) {
                    failed = now;
                    LOG.error("the TLS files changed but cannot be used; the TLS material in force stays: {}",
                            e.getMessage());
                    return false;
                }
            } finally {
                wipe(files);
            }
        }
    }

    private void install(Map<Setting, FileContent> files) {
        Loaded loaded = build(files);
        current.set(loaded);
        failed = null;
        describe("reloaded", loaded);
    }

    private Map<Setting, FileContent> read() {
        Map<Setting, FileContent> files = new EnumMap<>(Setting.class);
        files.put(Setting.CERTIFICATE, read(config.certificate(), Setting.CERTIFICATE));
        files.put(Setting.PRIVATE_KEY, read(config.privateKey(), Setting.PRIVATE_KEY));
        if (config.clientAuth() != BrokerConfig.ClientAuth.NONE) {
            if (config.clientCa() != null) {
                files.put(Setting.CLIENT_CA, read(config.clientCa(), Setting.CLIENT_CA));
            }
            if (config.crl() != null) {
                files.put(Setting.CRL, read(config.crl(), Setting.CRL));
            }
        }
        return files;
    }

    private static FileContent read(Path path, Setting setting) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                return unreadable(path, "is not a regular file");
            }
            if (attributes.size() > setting.maxBytes) {
                return unreadable(path, "is " + attributes.size() + " bytes, more than the " + setting.maxBytes
                        + " allowed");
            }
            byte[] bytes = Files.readAllBytes(path);
            if (bytes.length > setting.maxBytes) {
                return unreadable(path, "grew past the " + setting.maxBytes + " bytes allowed while being read");
            }
            String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            return new FileContent(path, new Fingerprint(bytes.length, attributes.lastModifiedTime(), sha256, null),
                    bytes);
        } catch (NoSuchFileException e) {
            return unreadable(path, "does not exist");
        } catch (IOException e) {
            return unreadable(path, "cannot be read: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static FileContent unreadable(Path path, String problem) {
        return new FileContent(path, new Fingerprint(-1, null, null, problem), null);
    }

    private static Map<Setting, Fingerprint> fingerprints(Map<Setting, FileContent> files) {
        Map<Setting, Fingerprint> out = new EnumMap<>(Setting.class);
        files.forEach((setting, content) -> out.put(setting, content.fingerprint()));
        return Map.copyOf(out);
    }

    private static void wipe(Map<Setting, FileContent> files) {
        FileContent key = files.get(Setting.PRIVATE_KEY);
        if (key != null && key.bytes() != null) {
            Arrays.fill(key.bytes(), (byte) 0);
        }
    }

    /** Parses and validates everything, then builds the context; touches no state. */
    private Loaded build(Map<Setting, FileContent> files) {
        Instant now = clock.instant();
        FileContent certFile = files.get(Setting.CERTIFICATE);
        FileContent keyFile = files.get(Setting.PRIVATE_KEY);
        List<X509Certificate> chain = parse(Setting.CERTIFICATE, certFile, PemFiles::certificates);
        PrivateKey key = parse(Setting.PRIVATE_KEY, keyFile, PemFiles::privateKey);
        X509Certificate leaf = chain.get(0);
        checkServerCertificate(leaf, now, certFile.path());
        if (signatureAlgorithm(key) == null) {
            throw failure(Setting.PRIVATE_KEY, keyFile.path(), "holds a " + key.getAlgorithm() + " key; the broker "
                    + "supports EC, RSA and EdDSA keys", null);
        }
        if (!keyMatches(key, leaf.getPublicKey())) {
            throw failure(Setting.PRIVATE_KEY, keyFile.path(), "the private key does not belong to the certificate "
                    + ClientCertificateVerifier.name(leaf) + " (the first one in " + Setting.CERTIFICATE.key + " "
                    + certFile.path() + ")", null);
        }
        ClientCertificateVerifier verifier = null;
        if (config.clientAuth() != BrokerConfig.ClientAuth.NONE) {
            verifier = clientVerifier(files, now);
        }
        try {
            SslContext context = ServerTls.serverContext(key, chain, config.provider(), config.clientAuth(), verifier);
            return new Loaded(context, leaf, verifier, fingerprints(files));
        } catch (IOException | RuntimeException e) {
            throw new TlsMaterialException(certFile.path(), "cannot build the TLS context from "
                    + Setting.CERTIFICATE.key + " " + certFile.path() + " and " + Setting.PRIVATE_KEY.key + " "
                    + keyFile.path() + ": " + e.getMessage(), e);
        }
    }

    private void checkServerCertificate(X509Certificate leaf, Instant now, Path file) {
        String who = "the certificate " + ClientCertificateVerifier.name(leaf);
        try {
            leaf.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            throw failure(Setting.CERTIFICATE, file, who + " expired on " + leaf.getNotAfter().toInstant(), null);
        } catch (CertificateNotYetValidException e) {
            throw failure(Setting.CERTIFICATE, file, who + " is not valid before " + leaf.getNotBefore().toInstant(),
                    null);
        }
        try {
            List<String> purposes = leaf.getExtendedKeyUsage();
            if (purposes != null && !purposes.contains(SERVER_AUTH) && !purposes.contains(ANY_PURPOSE)) {
                throw failure(Setting.CERTIFICATE, file, who + " lacks the serverAuth extended key usage, so clients "
                        + "would refuse it (is it a client certificate?)", null);
            }
        } catch (CertificateParsingException e) {
            throw failure(Setting.CERTIFICATE, file, who + " has an unreadable extended key usage extension", e);
        }
    }

    private ClientCertificateVerifier clientVerifier(Map<Setting, FileContent> files, Instant now) {
        FileContent caFile = files.get(Setting.CLIENT_CA);
        if (caFile == null) {
            throw new TlsMaterialException(null, "tls.clientAuth is " + config.clientAuth() + " but tls.clientCa is "
                    + "not set: client certificates need the CA they must chain to", null);
        }
        List<X509Certificate> cas = parse(Setting.CLIENT_CA, caFile, PemFiles::certificates);
        for (X509Certificate ca : cas) {
            try {
                ClientCertificateVerifier.checkClientCa(ca);
                ca.checkValidity(Date.from(now));
            } catch (IllegalArgumentException e) {
                throw failure(Setting.CLIENT_CA, caFile.path(), e.getMessage(), e);
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                throw failure(Setting.CLIENT_CA, caFile.path(), "the CA certificate " + ClientCertificateVerifier.name(ca)
                        + " is not valid now (valid from " + ca.getNotBefore().toInstant() + " to "
                        + ca.getNotAfter().toInstant() + ")", e);
            }
        }
        List<X509CRL> crls = new ArrayList<>();
        FileContent crlFile = files.get(Setting.CRL);
        if (crlFile != null) {
            crls.addAll(parse(Setting.CRL, crlFile, PemFiles::crls));
            for (X509CRL crl : crls) {
                try {
                    ClientCertificateVerifier.crlSigner(crl, cas);
                } catch (IllegalArgumentException e) {
                    throw failure(Setting.CRL, crlFile.path(), e.getMessage() + " (" + Setting.CLIENT_CA.key + " "
                            + caFile.path() + ")", e);
                }
                if (crl.getNextUpdate() != null && now.isAfter(crl.getNextUpdate().toInstant())) {
                    LOG.warn("{} {}: the CRL of {} is stale (its next update was due {}); its revocations stay "
                            + "enforced; publish a fresh CRL (broker certs crl)", Setting.CRL.key, crlFile.path(),
                            ClientCertificateVerifier.safe(crl.getIssuerX500Principal().getName()),
                            crl.getNextUpdate().toInstant());
                }
            }
        }
        return new ClientCertificateVerifier(cas, crls, clock);
    }

    /** Parses one file's content, turning every problem into a failure that names the file. */
    private static <T> T parse(Setting setting, FileContent file, PemParser<T> parser) {
        if (file.bytes() == null) {
            throw failure(setting, file.path(), file.fingerprint().problem(), null);
        }
        try {
            return parser.parse(file.bytes());
        } catch (IOException e) {
            throw failure(setting, file.path(), e.getMessage(), e);
        }
    }

    private interface PemParser<T> {
        T parse(byte[] pem) throws IOException;
    }

    private static TlsMaterialException failure(Setting setting, Path file, String problem, Throwable cause) {
        return new TlsMaterialException(file, setting.key + " " + file + ": " + problem, cause);
    }

    /**
     * Whether {@code key} is the private half of {@code publicKey}: a challenge signed with the
     * one must verify with the other.
     */
    public static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
        String algorithm = signatureAlgorithm(key);
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] challenge = KEY_PAIR_CHALLENGE;
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
    }

    private void describe(String verb, Loaded loaded) {
        X509Certificate leaf = loaded.serverCertificate();
        StringBuilder client = new StringBuilder();
        if (loaded.verifier() == null) {
            client.append("client certificates not requested");
        } else {
            client.append("client certificates ").append(config.clientAuth() == BrokerConfig.ClientAuth.REQUIRED
                    ? "required" : "optional").append(", client CA(s) ")
                    .append(loaded.verifier().clientCas().stream().map(ClientCertificateVerifier::name).toList())
                    .append(" from ").append(config.clientCa());
            if (config.crl() == null) {
                client.append(", no CRL");
            }
            for (X509CRL crl : loaded.verifier().crls()) {
                client.append(", CRL of ").append(ClientCertificateVerifier.safe(crl.getIssuerX500Principal().getName()))
                        .append(" from ").append(config.crl()).append(": ")
                        .append(crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size())
                        .append(" revoked, next update ")
                        .append(crl.getNextUpdate() == null ? "none" : crl.getNextUpdate().toInstant());
            }
        }
        LOG.info("TLS material {}: server certificate {} (serial {}, valid until {}) from {}; {}", verb,
                ClientCertificateVerifier.name(leaf), ClientCertificateVerifier.serial(leaf.getSerialNumber()),
                leaf.getNotAfter().toInstant(), config.certificate(), client);
    }
}
