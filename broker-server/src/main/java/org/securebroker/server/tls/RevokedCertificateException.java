package org.securebroker.server.tls;

import java.security.cert.CertificateException;
import java.util.Optional;

/**
 * A client certificate (or a certificate of its chain) is on a CRL of its issuer. Thrown by
 * {@link ClientCertificateVerifier} to refuse a handshake, and found again in whatever the TLS
 * library made of it ({@link #in}), so that the refusal is recorded as a revocation rather than
 * as a TLS error.
 *
 * <p>Thread-safety: immutable.
 */
public final class RevokedCertificateException extends CertificateException {

    private static final long serialVersionUID = 1L;

    private final String serial;
    private final String issuer;

    RevokedCertificateException(String message, String serial, String issuer) {
        super(message);
        this.serial = serial;
        this.issuer = issuer;
    }

    /** The revoked certificate's serial number, in hex. */
    public String serial() {
        return serial;
    }

    /** The revoked certificate's issuer (RFC 2253), made safe to log. */
    public String issuer() {
        return issuer;
    }

    /** What the audit log and the log say of it: "certificate revoked (serial ..., issuer ...)". */
    public String reason() {
        return "certificate revoked (serial " + serial + ", issuer " + issuer + ")";
    }

    /** The revocation among {@code failure} and its causes, if a revocation is what it is. */
    public static Optional<RevokedCertificateException> in(Throwable failure) {
        for (Throwable t = failure, seen = null; t != null && t != seen; seen = t, t = t.getCause()) {
            if (t instanceof RevokedCertificateException r) {
                return Optional.of(r);
            }
            for (Throwable s : t.getSuppressed()) {
                if (s instanceof RevokedCertificateException r) {
                    return Optional.of(r);
                }
            }
        }
        return Optional.empty();
    }
}
