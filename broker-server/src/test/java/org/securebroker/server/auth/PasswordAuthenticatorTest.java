package org.securebroker.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordAuthenticatorTest {

    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    private UserStore users(Argon2id hashing) {
        return UserStore.create(dir.resolve("users.json"), List.of(
                new User("alice", hashing.hash("alice-password".toCharArray(), random), null, List.of(), false, Instant.now()),
                new User("bob", hashing.hash("bob-password-1".toCharArray(), random), null, List.of(), true, Instant.now())));
    }

    @Test
    void shouldAcceptTheRightPasswordOnly() {
        try (PasswordAuthenticator auth = new PasswordAuthenticator(users(Argon2id.OWASP_MINIMUM), Argon2id.OWASP_MINIMUM,
                2, 8, random)) {
            assertThat(auth.authenticate("alice", "alice-password".toCharArray()).join().succeeded()).isTrue();
            assertThat(auth.authenticate("alice", "wrong".toCharArray()).join().failure())
                    .isEqualTo(PasswordAuthenticator.Failure.WRONG_PASSWORD);
            assertThat(auth.authenticate("nobody", "x".toCharArray()).join().failure())
                    .isEqualTo(PasswordAuthenticator.Failure.UNKNOWN_USER);
            assertThat(auth.authenticate("bob", "bob-password-1".toCharArray()).join().failure())
                    .isEqualTo(PasswordAuthenticator.Failure.DISABLED);
        }
    }

    @Test
    void shouldSpendAHashOnUnknownUsers() {
        try (PasswordAuthenticator auth = new PasswordAuthenticator(users(Argon2id.OWASP_MINIMUM), Argon2id.OWASP_MINIMUM,
                1, 8, random)) {
            long before = auth.hashesComputed();
            long t0 = System.nanoTime();
            auth.authenticate("alice", "wrong".toCharArray()).join();
            long known = System.nanoTime() - t0;
            t0 = System.nanoTime();
            auth.authenticate("nobody", "wrong".toCharArray()).join();
            long unknown = System.nanoTime() - t0;
            assertThat(auth.hashesComputed() - before).isEqualTo(2);
            assertThat(unknown).as("an unknown user costs a hash too").isGreaterThan(known / 4);
        }
    }

    @Test
    void shouldBoundHashingAndRefuseTheRestAsBusy() {
        try (PasswordAuthenticator auth = new PasswordAuthenticator(users(Argon2id.OWASP_MINIMUM), Argon2id.OWASP_MINIMUM,
                1, 2, random)) {
            List<CompletableFuture<PasswordAuthenticator.Result>> attempts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                attempts.add(auth.authenticate("alice", "wrong".toCharArray()));
            }
            long busy = attempts.stream().map(CompletableFuture::join)
                    .filter(r -> r.failure() == PasswordAuthenticator.Failure.BUSY).count();
            assertThat(busy).isGreaterThanOrEqualTo(17);
            assertThat(auth.hashesComputed()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void shouldRehashAnOutdatedHashOnLogin() {
        UserStore store = users(Argon2id.OWASP_MINIMUM);
        Argon2id stronger = new Argon2id(19456, 3, 1);
        try (PasswordAuthenticator auth = new PasswordAuthenticator(store, stronger, 1, 8, random)) {
            assertThat(auth.authenticate("alice", "alice-password".toCharArray()).join().succeeded()).isTrue();
        }
        String hash = UserStore.load(dir.resolve("users.json")).find("alice").orElseThrow().passwordHash();
        assertThat(hash).contains("t=3");
        assertThat(Argon2id.verify("alice-password".toCharArray(), hash)).isTrue();
    }

    @Test
    void shouldDeriveScramKeysAtThePlainLoginOfAUserWhoHasNone() {
        UserStore store = users(Argon2id.OWASP_MINIMUM);
        assertThat(store.find("alice").orElseThrow().scram()).isNull();
        try (PasswordAuthenticator auth = new PasswordAuthenticator(store, Argon2id.OWASP_MINIMUM, 4096, 1, 8, random)) {
            assertThat(auth.authenticate("alice", "alice-password".toCharArray()).join().succeeded()).isTrue();
        }
        User alice = UserStore.load(dir.resolve("users.json")).find("alice").orElseThrow();
        assertThat(alice.scram().iterations()).isEqualTo(4096);
        assertThat(alice.scram()).isEqualTo(org.securebroker.protocol.auth.Scram.credentials(
                "alice-password".toCharArray(), alice.scram().salt(), 4096));
    }

    @Test
    void shouldNotDeriveScramKeysForAUserWithScramTurnedOff() {
        UserStore store = UserStore.create(dir.resolve("users.json"), List.of(User.of("carol",
                PasswordSecrets.withoutScram("carol-password".toCharArray(), Argon2id.OWASP_MINIMUM, random), List.of(),
                Instant.now(), true)));
        try (PasswordAuthenticator auth = new PasswordAuthenticator(store, Argon2id.OWASP_MINIMUM, 4096, 1, 8, random)) {
            assertThat(auth.authenticate("carol", "carol-password".toCharArray()).join().succeeded()).isTrue();
        }
        User carol = UserStore.load(dir.resolve("users.json")).find("carol").orElseThrow();
        assertThat(carol.scram()).isNull();
        assertThat(carol.scramDisabled()).isTrue();
    }

    @Test
    void shouldRemoveScramKeysAtAPlainLoginWhileScramIsOffBrokerWide() {
        UserStore store = UserStore.create(dir.resolve("users.json"), List.of(User.of("alice",
                PasswordSecrets.derive("alice-password".toCharArray(), Argon2id.OWASP_MINIMUM, 4096, random), List.of(),
                Instant.now())));
        try (PasswordAuthenticator auth = new PasswordAuthenticator(store, Argon2id.OWASP_MINIMUM, 4096, false, 1, 8,
                random)) {
            assertThat(auth.authenticate("alice", "alice-password".toCharArray()).join().succeeded()).isTrue();
        }
        User alice = UserStore.load(dir.resolve("users.json")).find("alice").orElseThrow();
        assertThat(alice.scram()).as("no PBKDF2 verifier is left beside the Argon2id hash").isNull();
        assertThat(alice.scramDisabled()).as("turned off broker-wide, not for the user").isFalse();
    }
}
