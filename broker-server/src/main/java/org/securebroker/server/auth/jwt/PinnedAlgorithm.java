package org.securebroker.server.auth.jwt;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.SecureDigestAlgorithm;

/**
 * The one JWS algorithm each kind of key verifies. A key's algorithm follows from the key alone;
 * the token's {@code alg} header must name it exactly, so a token can never choose a weaker or
 * different algorithm (RFC 8725, 3.1).
 *
 * <p>Thread-safety: immutable.
 */
enum PinnedAlgorithm {
    RS256("RS256", "RSA"),
    ES256("ES256", "EC P-256"),
    EDDSA("EdDSA", "Ed25519"),
    HS256("HS256", "HMAC secret");

    private final String joseName;
    private final String keyKind;

    PinnedAlgorithm(String joseName, String keyKind) {
        this.joseName = joseName;
        this.keyKind = keyKind;
    }

    /** The {@code alg} header value, e.g. {@code RS256}. */
    String joseName() {
        return joseName;
    }

    /** The kind of key, for messages. */
    String keyKind() {
        return keyKind;
    }

    /** Whether the key is a public key; HMAC secrets are not. */
    boolean asymmetric() {
        return this != HS256;
    }

    /** jjwt's implementation of this algorithm. */
    SecureDigestAlgorithm<?, ?> jjwt() {
        return switch (this) {
            case RS256 -> Jwts.SIG.RS256;
            case ES256 -> Jwts.SIG.ES256;
            case EDDSA -> Jwts.SIG.EdDSA;
            case HS256 -> Jwts.SIG.HS256;
        };
    }
}
