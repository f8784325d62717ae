package org.securebroker.server.tls;

import java.math.BigInteger;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CRLReason;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import org.securebroker.protocol.PeerText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a client certificate chain presented in a TLS handshake is trusted. Used as
 * the trust manager of the server's TLS context (both the OpenSSL and the JDK provider call it).
 *
 * <p>A chain is accepted only if all of these hold, checked in this order; the first that fails
 * refuses the handshake with a {@link CertificateException} whose message names the certificate
 * and the reason (also logged at INFO, with the peer's address when known):
 * <ol>
 *   <li>the leaf is valid at the injected clock's time ("expired on ...", "not yet valid ...");
 *   <li>the leaf is not itself a CA certificate;
 *   <li>PKIX path validation succeeds against the configured client CA certificates as the
 *       <em>only</em> trust anchors (never the system trust store): signatures, validity of
 *       intermediates, basic constraints, key usage of issuers, algorithm constraints ("not
 *       issued by the configured client CA ..."); the anchor itself must not have expired;
 *   <li>the leaf's extended key usage includes id-kp-clientAuth: a leaf without the extension,
 *       with only serverAuth, or with only anyExtendedKeyUsage is refused ("lacks the
 *       clientAuth extended key usage ...");
 *   <li>if the leaf has a key usage extension, it allows digitalSignature;
 *   <li>no certificate of the path is on a configured CRL of its issuer ("revoked on ...
 *       (serial ...)").
 * </ol>
 *
 * <p>Revocation is checked here rather than by the JDK's PKIX revocation checker because its
 * policy does not fit: it refuses every certificate once a CRL's nextUpdate has passed. Here a
 * <b>stale CRL is still enforced</b> and logged at WARN once per CRL, so that forgetting to
 * refresh the CRL never silently un-revokes a certificate (nor locks every client out). CRLs are
 * accepted only if signed by one of the client CA certificates ({@link #crlSigner}).
 *
 * <p>Thread-safety: thread-safe; one instance serves every handshake of a TLS context.
 */
public final class ClientCertificateVerifier extends X509ExtendedTrustManager {

    private static final Logger LOG = LoggerFactory.getLogger(ClientCertificateVerifier.class);

    /** id-kp-clientAuth. */
    public static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final Map<String, String> PURPOSES = Map.of(
            "1.3.6.1.5.5.7.3.1", "serverAuth",
            CLIENT_AUTH, "clientAuth",
            "1.3.6.1.5.5.7.3.3", "codeSigning",
            "1.3.6.1.5.5.7.3.4", "emailProtection",
            "1.3.6.1.5.5.7.3.8", "timeStamping",
            "1.3.6.1.5.5.7.3.9", "OCSPSigning",
            "2.5.29.37.0", "anyExtendedKeyUsage");
    private static final int MAX_CHAIN = 8;
    private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
    private static final int KEY_USAGE_CERT_SIGN = 5;
    private static final int KEY_USAGE_CRL_SIGN = 6;

    private final List<X509Certificate> clientCas;
    private final Set<TrustAnchor> anchors;
    private final Set<X500Principal> anchorNames;
    private final List<X509CRL> crls;
    private final Clock clock;
    private final Set<X509CRL> staleReported = ConcurrentHashMap.newKeySet();

    /**
     * @param clientCas the only certificates client chains may end at; each must be a CA
     *     certificate ({@link #checkClientCa})
     * @param crls revocation lists, each signed by one of {@code clientCas}; may be empty
     * @param clock the time at which validity is judged
     * @throws IllegalArgumentException if {@code clientCas} is empty, holds a certificate that is
     *     not a CA, or a CRL is not signed by one of them
     */
    public ClientCertificateVerifier(List<X509Certificate> clientCas, List<X509CRL> crls, Clock clock) {
        if (clientCas.isEmpty()) {
            throw new IllegalArgumentException("at least one client CA certificate is needed");
        }
        this.clientCas = List.copyOf(clientCas);
        this.crls = List.copyOf(crls);
        this.clock = clock;
        Set<TrustAnchor> a = new LinkedHashSet<>();
        Set<X500Principal> names = new LinkedHashSet<>();
        for (X509Certificate ca : this.clientCas) {
            checkClientCa(ca);
            a.add(new TrustAnchor(ca, null));
            names.add(ca.getSubjectX500Principal());
        }
        this.anchors = Set.copyOf(a);
        this.anchorNames = Set.copyOf(names);
        for (X509CRL crl : this.crls) {
            crlSigner(crl, this.clientCas);
        }
    }

    /**
     * Checks that {@code ca} may serve as a client CA: it is a CA certificate (basic constraints
     * cA) and, if it has a key usage extension, it allows keyCertSign.
     *
     * @throws IllegalArgumentException naming the certificate and what is wrong
     */
    public static void checkClientCa(X509Certificate ca) {
        if (ca.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("certificate " + name(ca) + " is not a CA certificate (its basic "
                    + "constraints do not say cA=true); only CA certificates can be client CAs");
        }
        boolean[] usage = ca.getKeyUsage();
        if (usage != null && (usage.length <= KEY_USAGE_CERT_SIGN || !usage[KEY_USAGE_CERT_SIGN])) {
            throw new IllegalArgumentException("certificate " + name(ca) + " may not sign certificates (its key "
                    + "usage lacks keyCertSign)");
        }
    }

    /**
     * The CA certificate among {@code cas} that signed {@code crl}.
     *
     * @throws IllegalArgumentException if none did, the signer may not sign CRLs, or the CRL
     *     has a critical extension the broker does not understand (a delta CRL, an issuing
     *     distribution point, ...)
     */
    public static X509Certificate crlSigner(X509CRL crl, List<X509Certificate> cas) {
        String what = "the CRL of " + safe(crl.getIssuerX500Principal().getName(X500Principal.RFC2253));
        Set<String> critical = crl.getCriticalExtensionOIDs();
        if (critical != null && !critical.isEmpty()) {
            throw new IllegalArgumentException(what + " has critical extension(s) " + critical
                    + " that the broker does not support; use a complete CRL without them");
        }
        boolean nameMatched = false;
        for (X509Certificate ca : cas) {
            if (!ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                continue;
            }
            nameMatched = true;
            try {
                crl.verify(ca.getPublicKey());
            } catch (GeneralSecurityException e) {
                continue;
            }
            boolean[] usage = ca.getKeyUsage();
            if (usage != null && (usage.length <= KEY_USAGE_CRL_SIGN || !usage[KEY_USAGE_CRL_SIGN])) {
                throw new IllegalArgumentException(what + " is signed by " + name(ca)
                        + ", whose key usage does not allow signing CRLs (cRLSign)");
            }
            return ca;
        }
        throw new IllegalArgumentException(what + " is not signed by the configured client CA"
                + (nameMatched ? " (the issuer name matches but the signature does not verify with the CA's key)"
                : " (client CAs: " + cas.stream().map(ClientCertificateVerifier::name).toList() + ")"));
    }

    /** The client CA certificates. */
    public List<X509Certificate> clientCas() {
        return clientCas;
    }

    /** The revocation lists in force. */
    public List<X509CRL> crls() {
        return crls;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        verify(chain, socket == null || socket.getRemoteSocketAddress() == null ? null
                : socket.getRemoteSocketAddress().toString());
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain, engine == null || engine.getPeerHost() == null ? null
                : engine.getPeerHost() + ":" + engine.getPeerPort());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager verifies client certificates only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    /** The client CAs, sent to clients in the certificate request so they pick the right certificate. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return clientCas.toArray(X509Certificate[]::new);
    }

    private void verify(X509Certificate[] chain, String peer) throws CertificateException {
        try {
            check(chain);
        } catch (CertificateException e) {
            LOG.info("refused the client certificate{}: {}", peer == null ? "" : " from " + peer, e.getMessage());
            throw e;
        }
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0 || chain[0] == null) {
            throw new CertificateException("no client certificate was presented");
        }
        X509Certificate leaf = chain[0];
        String who = "client certificate " + name(leaf);
        Instant now = clock.instant();
        Date date = Date.from(now);
        try {
            leaf.checkValidity(date);
        } catch (CertificateExpiredException e) {
            // these subclasses let the TLS layer send the specific alert (certificate_expired)
            throw new CertificateExpiredException(who + ": expired on " + leaf.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new CertificateNotYetValidException(who + ": not yet valid (valid from " + leaf.getNotBefore().toInstant()
                    + ")");
        }
        if (leaf.getBasicConstraints() >= 0) {
            throw new CertificateException(who + ": is a CA certificate, not a client certificate");
        }
        List<X509Certificate> path = path(chain);
        X509Certificate anchor = validatePath(path, date, who);
        try {
            anchor.checkValidity(date);
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new CertificateException(who + ": the configured client CA " + name(anchor) + " is not valid now ("
                    + anchor.getNotBefore().toInstant() + " to " + anchor.getNotAfter().toInstant() + ")");
        }
        checkExtendedKeyUsage(leaf, who);
        boolean[] usage = leaf.getKeyUsage();
        if (usage != null && !usage[KEY_USAGE_DIGITAL_SIGNATURE]) {
            throw new CertificateException(who + ": its key usage does not allow digitalSignature, which a TLS client "
                    + "needs to prove it holds the key");
        }
        checkRevocation(path, now, who);
    }

    /**
     * The leaf followed by the presented certificates that lead from it towards a client CA,
     * whatever order the client sent them in; the CA itself is not part of the path.
     */
    private List<X509Certificate> path(X509Certificate[] chain) {
        List<X509Certificate> path = new ArrayList<>();
        X509Certificate current = chain[0];
        path.add(current);
        while (path.size() < MAX_CHAIN && !anchorNames.contains(current.getIssuerX500Principal())) {
            X509Certificate next = null;
            for (int i = 1; i < chain.length && next == null; i++) {
                X509Certificate candidate = chain[i];
                if (candidate != null && !path.contains(candidate)
                        && candidate.getSubjectX500Principal().equals(current.getIssuerX500Principal())) {
                    next = candidate;
                }
            }
            if (next == null) {
                break;
            }
            path.add(next);
            current = next;
        }
        return path;
    }

    /** Runs PKIX validation without revocation; returns the trust anchor the path ends at. */
    private X509Certificate validatePath(List<X509Certificate> path, Date date, String who) throws CertificateException {
        X509Certificate top = path.get(path.size() - 1);
        String notOurs = who + ": not issued by the configured client CA (issuer "
                + safe(top.getIssuerX500Principal().getName(X500Principal.RFC2253));
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            params.setDate(date);
            PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
                    .validate(certPath, params);
            return result.getTrustAnchor().getTrustedCert();
        } catch (CertPathValidatorException e) {
            int index = e.getIndex();
            String at = index > 0 && index < path.size() ? " (chain certificate " + name(path.get(index)) + ")" : "";
            CertPathValidatorException.Reason reason = e.getReason();
            boolean nameMatches = anchorNames.contains(top.getIssuerX500Principal());
            if (reason == PKIXReason.NO_TRUST_ANCHOR || reason == PKIXReason.NAME_CHAINING
                    || (reason == BasicReason.INVALID_SIGNATURE && (index < 0 || index == path.size() - 1))) {
                // a CA that copies the client CA's name is told apart by its key only
                throw new CertificateException(notOurs + (nameMatches
                        ? "; the name matches but the signature does not verify with the CA's key)" : ")"));
            }
            if (reason == BasicReason.INVALID_SIGNATURE) {
                throw new CertificateException(who + ": a signature in its chain does not verify" + at);
            }
            if (reason == BasicReason.EXPIRED || reason == BasicReason.NOT_YET_VALID) {
                throw new CertificateException(who + ": a certificate of its chain is not valid now" + at);
            }
            if (reason == BasicReason.ALGORITHM_CONSTRAINED) {
                throw new CertificateException(who + ": uses an algorithm or key size that is not allowed" + at + ": "
                        + e.getMessage());
            }
            if (reason == PKIXReason.NOT_CA_CERT || reason == PKIXReason.INVALID_KEY_USAGE
                    || reason == PKIXReason.PATH_TOO_LONG) {
                throw new CertificateException(who + ": its chain is invalid" + at + ": a certificate that is not "
                        + "allowed to issue certificates issued one");
            }
            throw new CertificateException(who + ": fails certificate path validation" + at + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new CertificateException(who + ": cannot be validated: " + e.getMessage(), e);
        }
    }

    private static void checkExtendedKeyUsage(X509Certificate leaf, String who) throws CertificateException {
        List<String> purposes;
        try {
            purposes = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new CertificateException(who + ": its extended key usage extension cannot be read");
        }
        if (purposes == null) {
            throw new CertificateException(who + ": lacks the clientAuth extended key usage (it has no extended key "
                    + "usage extension)");
        }
        if (!purposes.contains(CLIENT_AUTH)) {
            throw new CertificateException(who + ": lacks the clientAuth extended key usage (it allows only "
                    + purposes.stream().map(p -> PURPOSES.getOrDefault(p, safe(p))).collect(Collectors.joining(", "))
                    + ")");
        }
    }

    /**
     * Whether the CRLs in force now revoke a chain that was accepted before (a connection's
     * client certificate, checked again after a CRL reload): the revocation, or empty.
     */
    public Optional<RevokedCertificateException> revocation(X509Certificate[] chain) {
        if (chain == null || chain.length == 0 || chain[0] == null) {
            return Optional.empty();
        }
        try {
            checkRevocation(path(chain), clock.instant(), "client certificate " + name(chain[0]));
            return Optional.empty();
        } catch (RevokedCertificateException e) {
            return Optional.of(e);
        }
    }

    private void checkRevocation(List<X509Certificate> path, Instant now, String who)
            throws RevokedCertificateException {
        for (int i = 0; i < path.size(); i++) {
            X509Certificate cert = path.get(i);
            for (X509CRL crl : crls) {
                if (!crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal())) {
                    continue;
                }
                reportIfStale(crl, now);
                X509CRLEntry entry = crl.getRevokedCertificate(cert);
                if (entry != null) {
                    String subject = i == 0 ? who : who + ": its chain certificate " + name(cert);
                    CRLReason reason = entry.getRevocationReason();
                    throw new RevokedCertificateException(subject + ": revoked on "
                            + entry.getRevocationDate().toInstant() + " (serial " + serial(cert.getSerialNumber())
                            + (reason == null || reason == CRLReason.UNSPECIFIED ? "" : ", reason " + reason) + ")",
                            serial(cert.getSerialNumber()),
                            safe(cert.getIssuerX500Principal().getName(X500Principal.RFC2253)));
                }
            }
        }
    }

    private void reportIfStale(X509CRL crl, Instant now) {
        Date next = crl.getNextUpdate();
        if (next != null && now.isAfter(next.toInstant()) && staleReported.add(crl)) {
            LOG.warn("the CRL of {} is stale: its next update was due {}; its {} revocation(s) stay enforced, but "
                    + "certificates revoked since are not known; publish a fresh CRL (broker certs crl)",
                    safe(crl.getIssuerX500Principal().getName(X500Principal.RFC2253)), next.toInstant(),
                    crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size());
        }
    }

    static String serial(BigInteger serial) {
        return serial.toString(16);
    }

    /** The certificate's subject (RFC 2253), made safe to log: it comes from the network. */
    static String name(X509Certificate cert) {
        String subject = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        return subject.isEmpty() ? "(empty subject, serial " + serial(cert.getSerialNumber()) + ")" : safe(subject);
    }

    /** A remote-supplied string made safe to log: escaped and bounded ({@link PeerText}). */
    static String safe(String s) {
        return PeerText.escape(s);
    }
}
