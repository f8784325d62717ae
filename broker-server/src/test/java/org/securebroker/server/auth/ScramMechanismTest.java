package org.securebroker.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;

class ScramMechanismTest {

    private static final ConnectionInfo CONNECTION = new ConnectionInfo(InetAddress.getLoopbackAddress(), List.of());

    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();
    private PasswordAuthenticator pool;

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private ScramMechanism mechanism(User... users) {
        UserStore store = UserStore.create(dir.resolve("users.json"), List.of(users));
        pool = new PasswordAuthenticator(store, Argon2id.OWASP_MINIMUM, 4096, 1, 8, random);
        LoginThrottle throttle = new LoginThrottle(ConfigLoader.defaults(dir).auth().bruteForce(), Clock.systemUTC());
        return new ScramMechanism(store, pool, throttle, new byte[32], 4096, random);
    }

    private User user(String name, String password, boolean scramOff) {
        PasswordSecrets secrets = scramOff
                ? PasswordSecrets.withoutScram(password.toCharArray(), Argon2id.OWASP_MINIMUM, random)
                : PasswordSecrets.derive(password.toCharArray(), Argon2id.OWASP_MINIMUM, 4096, random);
        return User.of(name, secrets, List.of(), Instant.EPOCH, scramOff);
    }

    /** Runs a whole exchange with the right password; returns the final step. */
    private static AuthStep login(ScramMechanism mechanism, String name, String password) {
        AuthMechanism.Exchange exchange = mechanism.start(CONNECTION);
        String clientFirstBare = "n=" + name + ",r=clientnonce";
        AuthStep first = exchange.next(("n,," + clientFirstBare).getBytes(StandardCharsets.UTF_8)).join();
        assertThat(first).as("the first step never tells whether the user has SCRAM keys")
                .isInstanceOf(AuthStep.Challenge.class);
        String serverFirst = new String(((AuthStep.Challenge) first).data().toByteArray(), StandardCharsets.US_ASCII);
        var attributes = Scram.attributes(serverFirst);
        byte[] salted = Scram.saltedPassword(password.toCharArray(), Base64.getDecoder().decode(attributes.get('s')),
                Integer.parseInt(attributes.get('i')));
        String withoutProof = "c=" + Scram.CHANNEL_BINDING + ",r=" + attributes.get('r');
        String authMessage = Scram.authMessage(clientFirstBare, serverFirst, withoutProof);
        byte[] clientKey = Scram.hmac(salted, "Client Key");
        byte[] proof = Scram.clientProof(clientKey, Scram.sha256(clientKey), authMessage);
        return exchange.next((withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof))
                .getBytes(StandardCharsets.US_ASCII)).join();
    }

    @Test
    void shouldRefuseScramForAUserWithScramTurnedOffLikeAWrongPassword() {
        ScramMechanism scram = mechanism(user("alice", "alice-password", false), user("carol", "carol-password", true));
        assertThat(login(scram, "alice", "alice-password")).isInstanceOf(AuthStep.Success.class);

        AuthStep.Failure off = (AuthStep.Failure) login(scram, "carol", "carol-password");
        AuthStep.Failure wrong = (AuthStep.Failure) login(scram, "alice", "not-alice-password");
        assertThat(off.code()).isEqualTo(wrong.code());
        assertThat(off.clientMessage()).isEqualTo(wrong.clientMessage());
        assertThat(off.account()).isEqualTo("carol");
        assertThat(off.reason()).as("the audit record says why").contains("SCRAM is turned off for user 'carol'");
    }

    @Test
    void shouldNotOfferScramWhenItIsTurnedOffBrokerWide() {
        UserStore store = UserStore.create(dir.resolve("users.json"), List.of(user("alice", "alice-password", true)));
        pool = new PasswordAuthenticator(store, Argon2id.OWASP_MINIMUM, 4096, false, 1, 8, random);
        BrokerConfig.Auth on = ConfigLoader.defaults(dir).auth();
        BrokerConfig.Auth off = new BrokerConfig.Auth(on.usersFile(), on.passwordHashing(), on.hashThreads(),
                on.hashQueue(), on.scramIterations(), on.jwt(), on.bruteForce(), false);

        Mechanisms withScram = Mechanisms.standard(on, store, pool, c -> java.util.Optional.empty(), new byte[32],
                Clock.systemUTC(), random);
        Mechanisms without = Mechanisms.standard(off, store, pool, c -> java.util.Optional.empty(), new byte[32],
                Clock.systemUTC(), random);
        assertThat(withScram.offeredOn(CONNECTION)).contains(Scram.MECHANISM);
        assertThat(without.offeredOn(CONNECTION)).doesNotContain(Scram.MECHANISM).contains("PLAIN");
        assertThat(without.find(Scram.MECHANISM, CONNECTION)).isEmpty();
    }

    /** The iteration count a first step announces for this name. */
    private static int announcedIterations(ScramMechanism mechanism, String name) {
        AuthStep first = mechanism.start(CONNECTION).next(("n,,n=" + name + ",r=clientnonce")
                .getBytes(StandardCharsets.UTF_8)).join();
        assertThat(first).isInstanceOf(AuthStep.Challenge.class);
        String serverFirst = new String(((AuthStep.Challenge) first).data().toByteArray(), StandardCharsets.US_ASCII);
        return Integer.parseInt(Scram.attributes(serverFirst).get('i'));
    }

    private User withIterations(String name, int scramIterations) {
        return User.of(name, PasswordSecrets.derive((name + "-password").toCharArray(), Argon2id.OWASP_MINIMUM,
                scramIterations, random), List.of(), Instant.EPOCH);
    }

    private ScramMechanism mechanismAnnouncing(int configuredIterations, User... users) {
        UserStore store = UserStore.create(dir.resolve("users.json"), List.of(users));
        pool = new PasswordAuthenticator(store, Argon2id.OWASP_MINIMUM, configuredIterations, 1, 8, random);
        LoginThrottle throttle = new LoginThrottle(ConfigLoader.defaults(dir).auth().bruteForce(), Clock.systemUTC());
        return new ScramMechanism(store, pool, throttle, new byte[32], configuredIterations, random);
    }

    @Test
    void shouldNotTellUsersWithoutAVerifierByTheIterationCountWhenTheConfiguredCountIsHigherThanTheStoredOnes() {
        User alice = withIterations("alice", 4096);
        User disabled = withIterations("dave", 4096);
        ScramMechanism scram = mechanismAnnouncing(600_000, alice,
                new User("dave", disabled.passwordHash(), disabled.scram(), List.of(), true, Instant.EPOCH, false),
                user("carol", "carol-password", true));

        assertThat(announcedIterations(scram, "alice")).isEqualTo(4096);
        for (String name : List.of("dave", "carol", "mallory", "nobody", "x", "admin", "root", "guest")) {
            assertThat(announcedIterations(scram, name)).as("what a client is told about %s", name).isEqualTo(4096);
        }
    }

    @Test
    void shouldPickADecoyIterationCountAmongTheStoredOnesStablyPerName() {
        ScramMechanism scram = mechanismAnnouncing(600_000, withIterations("alice", 4096),
                withIterations("bob", 5000));
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 40; i++) {
            String name = "unknown" + i;
            int announced = announcedIterations(scram, name);
            assertThat(announced).as("a count some verifier holds").isIn(4096, 5000);
            assertThat(announcedIterations(scram, name)).as("the same on every try").isEqualTo(announced);
            seen.add(announced);
        }
        assertThat(seen).as("decoys are spread over the stored counts").containsExactlyInAnyOrder(4096, 5000);
    }

    @Test
    void shouldAnnounceTheConfiguredCountForDecoysWhileNoUserHasAVerifier() {
        ScramMechanism scram = mechanismAnnouncing(8192, user("carol", "carol-password", true));
        assertThat(announcedIterations(scram, "carol")).isEqualTo(8192);
        assertThat(announcedIterations(scram, "nobody")).isEqualTo(8192);
    }
}
