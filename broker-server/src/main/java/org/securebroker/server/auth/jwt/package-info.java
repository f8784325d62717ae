/**
 * JWT bearer tokens: {@link org.securebroker.server.auth.jwt.JwtVerifier} accepts only signed
 * tokens (compact JWS) whose algorithm is pinned by the configured key, never chosen by the token,
 * and {@link org.securebroker.server.auth.jwt.DevTokens} holds the development signing key's
 * defaults for {@code broker token mint}.
 *
 * <p>Imports tls (for PEM key files) and config.
 */
package org.securebroker.server.auth.jwt;
