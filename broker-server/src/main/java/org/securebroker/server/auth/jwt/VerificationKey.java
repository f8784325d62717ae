package org.securebroker.server.auth.jwt;

import java.security.Key;

/**
 * A configured verification key with its pinned algorithm.
 *
 * <p>Thread-safety: immutable. {@link #toString()} names the key, never its material.
 */
final class VerificationKey {

    private final String kid;
    private final Key key;
    private final PinnedAlgorithm algorithm;
    private final String source;

    VerificationKey(String kid, Key key, PinnedAlgorithm algorithm, String source) {
        this.kid = kid;
        this.key = key;
        this.algorithm = algorithm;
        this.source = source;
    }

    String kid() {
        return kid;
    }

    Key key() {
        return key;
    }

    PinnedAlgorithm algorithm() {
        return algorithm;
    }

    /** Where the key came from, e.g. {@code auth.jwt.keys[kid=a].publicKey}. */
    String source() {
        return source;
    }

    @Override
    public String toString() {
        return "kid '" + kid + "' (" + algorithm.keyKind() + ", " + algorithm.joseName() + " only, from " + source + ")";
    }
}
