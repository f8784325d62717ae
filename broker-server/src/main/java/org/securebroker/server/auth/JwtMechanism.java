package org.securebroker.server.auth;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.server.auth.jwt.JwtRejectedException;
import org.securebroker.server.auth.jwt.JwtVerifier;
import org.securebroker.server.auth.jwt.VerifiedToken;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.identity.MechanismNames;

/**
 * JWT bearer tokens: the initial response is a compact JWS, verified by {@link JwtVerifier}
 * against the configured keys only. The session expires when the token does; the client renews
 * it on the same connection with another AUTH JWT. Failures count against the source address in
 * the brute-force throttle, and signature checks run on the bounded authentication pool.
 *
 * <p>Thread-safety: thread-safe; {@link #reload()} swaps the verifier atomically.
 */
public final class JwtMechanism implements AuthMechanism {

    public static final String NAME = MechanismNames.JWT;

    private final BrokerConfig.Jwt config;
    private final Clock clock;
    private final PasswordAuthenticator pool;
    private final LoginThrottle throttle;
    private volatile JwtVerifier verifier;

    /** @throws IllegalStateException naming the key file that cannot be used */
    public JwtMechanism(BrokerConfig.Jwt config, Clock clock, PasswordAuthenticator pool, LoginThrottle throttle) {
        this.config = config;
        this.clock = clock;
        this.pool = pool;
        this.throttle = throttle;
        this.verifier = JwtVerifier.load(config, clock);
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Re-reads the key files and the JWKS; the old keys stay in force if any of them is bad.
     *
     * @throws IllegalStateException naming the file and the problem
     */
    public void reload() {
        verifier = JwtVerifier.load(config, clock);
    }

    @Override
    public Exchange start(ConnectionInfo connection) {
        return message -> {
            LoginThrottle.Refusal refusal = throttle.check(null, connection.address());
            if (refusal != null) {
                return CompletableFuture.completedFuture(PlainMechanism.tooMany(refusal, null));
            }
            String token = new String(message, StandardCharsets.UTF_8);
            JwtVerifier current = verifier;
            AuthStep busy = new AuthStep.Failure(ErrorCode.TOO_MANY_ATTEMPTS,
                    "the broker is busy checking other logins; retry shortly", "authentication pool full", null);
            return pool.offload(() -> check(current, token, connection), busy);
        };
    }

    private AuthStep check(JwtVerifier current, String token, ConnectionInfo connection) {
        try {
            VerifiedToken verified = current.verify(token);
            throttle.succeeded(null, connection.address());
            return new AuthStep.Success(new Identity(verified.principal(), verified.roles(), NAME,
                    verified.expiresAtMillis(), false), Bytes.EMPTY);
        } catch (JwtRejectedException e) {
            throttle.failed(null, connection.address());
            return AuthStep.Failure.denied("token rejected: " + e.getMessage(), null);
        }
    }
}
