package org.securebroker.cli.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.TlsPolicy;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.tls.LocalCa;
import org.securebroker.server.tls.TlsMaterial;

/**
 * The TLS material: every certificate of the server's chain ({@code tls.certificate}) and, with
 * client certificates on, of the client CA file ({@code tls.clientCa}) is checked for validity
 * now and for expiry: expired, not yet valid or expiring within 7 days is high, within the
 * warning window medium. The server's private key must belong to its certificate (high). A CRL
 * ({@code tls.crl}) past its next update is medium: the broker still enforces it but learns of no
 * new revocation. Protocol versions and cipher suites are fixed by the broker, which an info
 * finding says.
 *
 * <p>Thread-safety: stateless.
 */
public final class TlsCheck implements SecurityCheck {

    /** Certificates expiring sooner than this are high findings whatever the warning window. */
    static final Duration URGENT = Duration.ofDays(7);

    @Override
    public String name() {
        return "tls";
    }

    @Override
    public List<Finding> run(CheckContext context) {
        List<Finding> out = new ArrayList<>();
        BrokerConfig.Tls tls = context.config().tls();
        String renewServer = "replace " + tls.certificate() + " and " + tls.privateKey() + " with a new certificate and "
                + "key from your CA; the broker loads them within 5 seconds (or at once with 'broker reload')";
        List<X509Certificate> chain = certificates(out, "tls-certificate-unreadable", "tls.certificate",
                tls.certificate(), renewServer);
        if (chain != null) {
            for (int i = 0; i < chain.size(); i++) {
                validity(out, "tls-certificate", i == 0 ? "the server certificate" : "a certificate of the server's chain",
                        chain.get(i), tls.certificate(), context, renewServer);
            }
            keyMatch(out, chain.get(0), tls.privateKey(), renewServer);
        }
        if (tls.clientAuth() != BrokerConfig.ClientAuth.NONE && tls.clientCa() != null) {
            String renewCa = "add the CA's renewed certificate to " + tls.clientCa() + " (old and new may sit in the file "
                    + "together during the change) and 'broker reload'";
            List<X509Certificate> cas = certificates(out, "tls-client-ca-unreadable", "tls.clientCa", tls.clientCa(),
                    renewCa);
            if (cas != null) {
                for (X509Certificate ca : cas) {
                    validity(out, "tls-client-ca", "a client CA certificate", ca, tls.clientCa(), context, renewCa);
                }
            }
        }
        if (tls.crl() != null) {
            crl(out, tls.crl(), context.now());
        }
        out.add(Finding.info("tls-protocols-fixed", "tls", "protocols and cipher suites are fixed by the broker and "
                + "cannot be configured: " + String.join(" and ", TlsPolicy.PROTOCOLS) + ", ECDHE key exchange and "
                + "AEAD ciphers only", null));
        return out;
    }

    private static List<X509Certificate> certificates(List<Finding> out, String id, String setting, Path file,
                                                      String fix) {
        if (!Files.exists(file)) {
            out.add(Finding.high(id, file.toString(), setting + " " + file + " does not exist; the broker cannot start "
                    + "without it", fix));
            return null;
        }
        try {
            return LocalCa.readCertificates(file);
        } catch (IOException | RuntimeException e) {
            out.add(Finding.high(id, file.toString(), setting + " " + file + " cannot be read as PEM certificates: "
                    + e.getMessage(), fix));
            return null;
        }
    }

    private static void validity(List<Finding> out, String idPrefix, String what, X509Certificate cert, Path file,
                                 CheckContext context, String fix) {
        Instant now = context.now();
        Instant notBefore = cert.getNotBefore().toInstant();
        Instant notAfter = cert.getNotAfter().toInstant();
        String subject = file + " (" + cert.getSubjectX500Principal().getName() + ")";
        if (now.isBefore(notBefore)) {
            out.add(Finding.high(idPrefix + "-not-yet-valid", subject, what + " is not valid before " + notBefore
                    + "; clients refuse it until then", "check this host's clock; else " + fix));
            return;
        }
        Duration left = Duration.between(now, notAfter);
        if (left.isNegative()) {
            out.add(Finding.high(idPrefix + "-expiry", subject, what + " expired on " + notAfter, fix));
        } else if (left.compareTo(URGENT) < 0) {
            out.add(Finding.high(idPrefix + "-expiry", subject, what + " expires on " + notAfter + ", in "
                    + CheckContext.days(left), fix));
        } else if (left.compareTo(context.thresholds().expiryWarning()) < 0) {
            out.add(Finding.medium(idPrefix + "-expiry", subject, what + " expires on " + notAfter + ", in "
                    + CheckContext.days(left), fix));
        }
    }

    private static void keyMatch(List<Finding> out, X509Certificate leaf, Path keyFile, String fix) {
        if (!Files.exists(keyFile)) {
            return; // the key file check reports a missing key
        }
        PrivateKey key;
        try {
            key = LocalCa.readPrivateKey(keyFile);
        } catch (IOException | RuntimeException e) {
            out.add(Finding.high("tls-key-unreadable", keyFile.toString(), "tls.privateKey " + keyFile + " cannot be "
                    + "read as an unencrypted PEM private key: " + e.getMessage(), fix));
            return;
        }
        if (!TlsMaterial.keyMatches(key, leaf.getPublicKey())) {
            out.add(Finding.high("tls-key-mismatch", keyFile.toString(), "tls.privateKey " + keyFile + " does not belong "
                    + "to the server certificate (" + leaf.getSubjectX500Principal().getName() + "); the broker refuses "
                    + "the pair", fix));
        }
    }

    private static void crl(List<Finding> out, Path file, Instant now) {
        String fix = "publish a fresh CRL to " + file + ": 'broker certs crl' for the local CA, else from your CA";
        if (!Files.exists(file)) {
            out.add(Finding.high("tls-crl-unreadable", file.toString(), "tls.crl " + file + " does not exist; the broker "
                    + "cannot start without it", fix));
            return;
        }
        List<X509CRL> crls;
        try {
            crls = LocalCa.readCrls(file);
        } catch (IOException | RuntimeException e) {
            out.add(Finding.high("tls-crl-unreadable", file.toString(), "tls.crl " + file + " cannot be read: "
                    + e.getMessage() + "; the broker refuses to load it", fix));
            return;
        }
        for (X509CRL crl : crls) {
            if (crl.getNextUpdate() != null && now.isAfter(crl.getNextUpdate().toInstant())) {
                out.add(Finding.medium("tls-crl-stale", file + " (" + crl.getIssuerX500Principal().getName() + ")",
                        "the CRL's next update was due " + crl.getNextUpdate().toInstant() + "; it stays enforced, but "
                                + "certificates revoked since are not known", fix));
            }
        }
    }
}
