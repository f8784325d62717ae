package org.securebroker.server.auth.jwt;

import java.util.List;

/**
 * What a verified token says about its bearer.
 *
 * <p>Thread-safety: immutable.
 *
 * @param principal the value of the configured principal claim
 * @param roles the roles from the configured roles claim; empty when there is none
 * @param expiresAtMillis the token's {@code exp}, in epoch milliseconds
 * @param keyId the kid of the key that verified the signature
 */
public record VerifiedToken(String principal, List<String> roles, long expiresAtMillis, String keyId) {
    public VerifiedToken {
        roles = List.copyOf(roles);
    }
}
