package org.securebroker.server.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.PeerText;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.identity.MechanismNames;
import org.securebroker.server.identity.PrincipalNames;

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding: the password never crosses the
 * wire and the server proves that it knows the user's ServerKey.
 *
 * <pre>
 * AUTH            n,,n=alice,r=CLIENTNONCE
 * AUTH_CHALLENGE  r=CLIENTNONCE+SERVERNONCE,s=SALT,i=ITERATIONS
 * AUTH_RESPONSE   c=biws,r=CLIENTNONCE+SERVERNONCE,p=PROOF
 * AUTH_OK         additionalData = v=SERVERSIGNATURE
 * </pre>
 *
 * An unknown or disabled user, one without SCRAM keys yet, or one whose SCRAM is turned off
 * ({@code broker user passwd --no-scram}), gets a decoy server-first-message and fails at the
 * final step like a wrong password. The decoy's salt is derived from a server secret and the name
 * (stable across restarts), and so is its iteration count, picked from the counts the users
 * file's verifiers actually hold (the configured count only while there are none): verifiers made
 * before the configured count was raised keep their old count, so a decoy announcing the
 * configured one would tell real users from the rest. The exchange thus reveals neither whether
 * the user exists nor whether it has SCRAM keys. The brute-force throttle is asked before the challenge is sent. The server's work is
 * two HMACs and a hash (the PBKDF2 cost falls on the client); the first step runs on the
 * authentication pool because it picks up changes to the users file first, so that a user just
 * added by the CLI can log in at once.
 *
 * <p>Thread-safety: thread-safe; each exchange is used by one session at a time (its steps
 * never overlap, and each completion is handed to the session's event loop before the next).
 */
public final class ScramMechanism implements AuthMechanism {

    public static final String NAME = MechanismNames.SCRAM_SHA_256;
    private static final int NONCE_BYTES = 18;
    private static final int MAX_NONCE_CHARS = 256;

    private final UserStore users;
    private final PasswordAuthenticator pool;
    private final LoginThrottle throttle;
    private final byte[] maskKey;
    private final int iterations;
    private final SecureRandom random;

    /**
     * @param maskKey secret for the salts of users that do not exist (see {@link AuthSecrets})
     * @param iterations the iteration count announced for users that do not exist while no
     *     user has a SCRAM verifier
     */
    public ScramMechanism(UserStore users, PasswordAuthenticator pool, LoginThrottle throttle, byte[] maskKey,
                          int iterations, SecureRandom random) {
        this.users = users;
        this.pool = pool;
        this.throttle = throttle;
        this.maskKey = maskKey.clone();
        this.iterations = iterations;
        this.random = random;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Exchange start(ConnectionInfo connection) {
        return new ScramExchange(connection);
    }

    private final class ScramExchange implements Exchange {
        private final ConnectionInfo connection;
        private String account;
        private User user;
        private Scram.Credentials credentials;
        private String gs2Header;
        private String clientFirstBare;
        private String serverFirst;
        private String nonce;
        private boolean started;
        private boolean done;

        ScramExchange(ConnectionInfo connection) {
            this.connection = connection;
        }

        @Override
        public CompletableFuture<AuthStep> next(byte[] message) {
            if (done) {
                return CompletableFuture.completedFuture(AuthStep.Failure.denied("SCRAM exchange already finished", account));
            }
            String text = new String(message, StandardCharsets.UTF_8);
            if (serverFirst == null && !started) {
                started = true;
                AuthStep busy = new AuthStep.Failure(ErrorCode.TOO_MANY_ATTEMPTS,
                        "the broker is busy checking other logins; retry shortly", "authentication pool full", null);
                return pool.offload(() -> finish(first(text)), busy);
            }
            return CompletableFuture.completedFuture(finish(serverFirst == null ? AuthStep.Failure.denied(
                    "SCRAM step out of order", account) : last(text)));
        }

        private AuthStep finish(AuthStep step) {
            done = !(step instanceof AuthStep.Challenge);
            return step;
        }

        private AuthStep first(String message) {
            int bare = gs2End(message);
            if (bare < 0) {
                return malformed("client-first-message must start with 'n,,' or 'y,,' (channel binding is not offered)");
            }
            gs2Header = message.substring(0, bare);
            clientFirstBare = message.substring(bare);
            Map<Character, String> attributes;
            try {
                attributes = Scram.attributes(clientFirstBare);
            } catch (IllegalArgumentException e) {
                return malformed(e.getMessage());
            }
            String name = attributes.get('n');
            String clientNonce = attributes.get('r');
            if (name == null || clientNonce == null || attributes.containsKey('m')) {
                return malformed("client-first-message needs n= and r= and no mandatory extension");
            }
            if (clientNonce.isEmpty() || clientNonce.length() > MAX_NONCE_CHARS || !printable(clientNonce)) {
                return malformed("client nonce must be 1-" + MAX_NONCE_CHARS + " printable ASCII characters other than ','");
            }
            String authzid = message.substring(2, bare - 1);
            name = Scram.unescapeSaslName(name);
            if (!authzid.isEmpty() && !authzid.equals("a=" + Scram.saslName(name))) {
                return malformed("authorization identity differs from the user name");
            }
            try {
                PrincipalNames.validate(name);
            } catch (IllegalArgumentException e) {
                return malformed("invalid user name");
            }
            account = name;
            LoginThrottle.Refusal refusal = throttle.check(name, connection.address());
            if (refusal != null) {
                return PlainMechanism.tooMany(refusal, name);
            }
            try {
                users.reloadIfChanged();
            } catch (RuntimeException e) {
                // the users loaded before stay in force; the broker's housekeeping logs the problem
            }
            user = users.find(name).filter(u -> !u.disabled()).orElse(null);
            credentials = user == null ? null : user.scram();
            byte[] salt = credentials != null ? credentials.salt() : maskedSalt(name);
            int count = credentials != null ? credentials.iterations() : maskedIterations(name);
            byte[] serverNonce = new byte[NONCE_BYTES];
            random.nextBytes(serverNonce);
            nonce = clientNonce + Base64.getEncoder().encodeToString(serverNonce);
            serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + count;
            return new AuthStep.Challenge(Bytes.copyOf(serverFirst.getBytes(StandardCharsets.US_ASCII)));
        }

        private AuthStep last(String message) {
            int proofAt = message.lastIndexOf(",p=");
            if (proofAt < 0) {
                return malformed("client-final-message has no proof");
            }
            String withoutProof = message.substring(0, proofAt);
            Map<Character, String> attributes;
            byte[] proof;
            try {
                attributes = Scram.attributes(withoutProof);
                proof = Base64.getDecoder().decode(message.substring(proofAt + 3));
            } catch (IllegalArgumentException e) {
                return malformed(e.getMessage());
            }
            String binding = Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.US_ASCII));
            if (!binding.equals(attributes.get('c'))) {
                return malformed("channel binding attribute does not match the GS2 header");
            }
            if (!nonce.equals(attributes.get('r'))) {
                return malformed("nonce does not match");
            }
            String authMessage = Scram.authMessage(clientFirstBare, serverFirst, withoutProof);
            if (user == null) {
                return wrong(account + (users.find(account).isPresent() ? " is disabled" : " is not a user"));
            }
            if (credentials == null) {
                return wrong(user.scramDisabled() ? "SCRAM is turned off for user " + PeerText.quote(account) + " (PLAIN only)"
                        : "user " + PeerText.quote(account) + " has no SCRAM keys yet (set the password, or log in once with PLAIN)");
            }
            if (!Scram.verifyClientProof(credentials.storedKey(), authMessage, proof)) {
                return wrong("wrong password (client proof does not verify)");
            }
            throttle.succeeded(account, connection.address());
            byte[] signature = Scram.hmac(credentials.serverKey(), authMessage);
            byte[] serverFinal = ("v=" + Base64.getEncoder().encodeToString(signature)).getBytes(StandardCharsets.US_ASCII);
            return new AuthStep.Success(new Identity(user.name(), user.roles(), NAME, 0, true), Bytes.copyOf(serverFinal));
        }

        private AuthStep wrong(String reason) {
            throttle.failed(account, connection.address());
            return AuthStep.Failure.denied(reason, account);
        }

        private AuthStep malformed(String reason) {
            throttle.failed(account, connection.address());
            return AuthStep.Failure.denied("malformed SCRAM message: " + reason, account);
        }
    }

    /** The length of the GS2 header ("n,," or "y,," with an optional a=authzid), or -1. */
    private static int gs2End(String message) {
        if (!(message.startsWith("n,") || message.startsWith("y,"))) {
            return -1;
        }
        int second = message.indexOf(',', 2);
        if (second < 0) {
            return -1;
        }
        String authzid = message.substring(2, second);
        return authzid.isEmpty() || authzid.startsWith("a=") ? second + 1 : -1;
    }

    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e || c == ',') {
                return false;
            }
        }
        return true;
    }

    private byte[] maskedSalt(String name) {
        return Arrays.copyOf(Scram.hmac(maskKey, "scram-salt:" + name), 16);
    }

    /**
     * One of the stored verifiers' iteration counts, chosen by the secret and the name, so that
     * a decoy's count is distributed like real users' and stays the same for a name while the
     * file's verifiers do.
     */
    private int maskedIterations(String name) {
        int[] stored = users.scramIterations();
        if (stored.length == 0) {
            return iterations;
        }
        long pick = ByteBuffer.wrap(Scram.hmac(maskKey, "scram-iterations:" + name)).getLong();
        return stored[(int) Math.floorMod(pick, (long) stored.length)];
    }
}
