package org.securebroker.server.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.identity.MechanismNames;

/**
 * PLAIN (RFC 4616) inside TLS, against Argon2id hashes: the brute-force throttle is asked first,
 * then the password is checked on the bounded hashing pool.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class PlainMechanism implements AuthMechanism {

    public static final String NAME = MechanismNames.PLAIN;

    private final PasswordAuthenticator authenticator;
    private final LoginThrottle throttle;

    public PlainMechanism(PasswordAuthenticator authenticator, LoginThrottle throttle) {
        this.authenticator = authenticator;
        this.throttle = throttle;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Exchange start(ConnectionInfo connection) {
        return message -> {
            Credentials credentials = Credentials.parse(message);
            if (credentials == null) {
                throttle.failed(null, connection.address());
                return CompletableFuture.completedFuture(AuthStep.Failure.denied("malformed PLAIN response", null));
            }
            LoginThrottle.Refusal refusal = throttle.check(credentials.user(), connection.address());
            if (refusal != null) {
                Arrays.fill(credentials.password(), '\0');
                return CompletableFuture.completedFuture(tooMany(refusal, credentials.user()));
            }
            return authenticator.authenticate(credentials.user(), credentials.password()).thenApply(result -> {
                if (result.succeeded()) {
                    throttle.succeeded(credentials.user(), connection.address());
                    User user = result.user().orElseThrow();
                    return new AuthStep.Success(new Identity(user.name(), user.roles(), NAME, 0, true), Bytes.EMPTY);
                }
                if (result.failure() == PasswordAuthenticator.Failure.BUSY) {
                    return new AuthStep.Failure(ErrorCode.TOO_MANY_ATTEMPTS,
                            "the broker is busy checking other logins; retry shortly", "hashing pool full", credentials.user());
                }
                throttle.failed(credentials.user(), connection.address());
                return AuthStep.Failure.denied(result.failure().name().toLowerCase(Locale.ROOT).replace('_', ' '), credentials.user());
            });
        };
    }

    static AuthStep.Failure tooMany(LoginThrottle.Refusal refusal, String account) {
        long seconds = Math.max(1, (refusal.retryAfterMillis() + 999) / 1000);
        return new AuthStep.Failure(ErrorCode.TOO_MANY_ATTEMPTS, "too many failed logins; retry in " + seconds + " s",
                refusal.reason(), account);
    }

    /** The PLAIN initial response: authzid NUL authcid NUL password, UTF-8. */
    record Credentials(String user, char[] password) {

        static Credentials parse(byte[] bytes) {
            try {
                int first = indexOf(bytes, 0);
                int second = first < 0 ? -1 : indexOf(bytes, first + 1);
                if (first < 0 || second < 0 || indexOf(bytes, second + 1) >= 0) {
                    return null;
                }
                String authzid = decode(bytes, 0, first);
                String authcid = decode(bytes, first + 1, second - first - 1);
                if (authcid.isEmpty() || (!authzid.isEmpty() && !authzid.equals(authcid))) {
                    return null;
                }
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes, second + 1, bytes.length - second - 1));
                char[] password = new char[chars.remaining()];
                chars.get(password);
                if (chars.hasArray()) {
                    Arrays.fill(chars.array(), '\0');
                }
                return password.length == 0 ? null : new Credentials(authcid, password);
            } catch (CharacterCodingException e) {
                return null;
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }

        private static int indexOf(byte[] bytes, int from) {
            for (int i = from; i < bytes.length; i++) {
                if (bytes[i] == 0) {
                    return i;
                }
            }
            return -1;
        }

        private static String decode(byte[] bytes, int offset, int length) throws CharacterCodingException {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        }

        @Override
        public String toString() {
            return "Credentials[" + user + "]";
        }
    }
}
