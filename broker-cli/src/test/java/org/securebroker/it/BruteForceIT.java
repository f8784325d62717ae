package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;

/**
 * Password guessing through the real TLS front end with the default brute-force policy: the
 * throttle answers before any hash is computed, the broker keeps serving everyone else, the
 * account's owner logs in from another address, and 100 consecutive failures lock the account.
 */
class BruteForceIT {

    private static final String PASSWORD = "correct horse battery staple";

    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"));
        UserStore users = UserStore.load(broker.broker().config().auth().usersFile());
        users.update(all -> {
            all.put("alice", User.of("alice", PasswordSecrets.derive(PASSWORD.toCharArray(), Argon2id.OWASP_MINIMUM, 4096,
                    new SecureRandom()), List.of(), Instant.now()));
            return all;
        });
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private static InetAddress loopback(int a, int b) throws Exception {
        return InetAddress.getByAddress(new byte[] {127, 0, (byte) a, (byte) b});
    }

    private Object attempt(InetAddress from, String user, String password) throws Exception {
        try (RawConnection c = RawConnection.tls(broker.port(), broker.caCert(), from)) {
            return c.attempt(user, password);
        }
    }

    @Test
    void shouldBoundHashingAndStayResponsiveUnderAThousandGuessesFromOneAddress() throws Exception {
        BrokerConfig.BruteForce policy = broker.broker().config().auth().bruteForce();
        Histogram pingMicros = new Histogram(3);
        ExecutorService background = Executors.newFixedThreadPool(2);
        try (RawConnection admin = broker.admin()) {
            long hashesBefore = broker.broker().authenticator().hashesComputed();
            InetAddress attacker = loopback(0, 66);
            CountDownLatch throttled = new CountDownLatch(1);
            Semaphore guessed = new Semaphore(0);
            Future<int[]> attack = background.submit(() -> {
                int refusedEarly = 0;
                int denied = 0;
                for (int i = 0; i < 1000; i++) {
                    Object answer = attempt(attacker, "alice", "guess-" + i);
                    ErrorFrame error = (ErrorFrame) answer;
                    if (error.code() == ErrorCode.TOO_MANY_ATTEMPTS.code()) {
                        refusedEarly++;
                        throttled.countDown();
                    } else {
                        assertThat(error.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
                        denied++;
                    }
                    guessed.release();
                }
                return new int[] {refusedEarly, denied};
            });
            Future<Long> owner = background.submit(() -> {
                // the owner logs in while the attacker is being held back
                assertThat(throttled.await(60, TimeUnit.SECONDS)).as("the attack was throttled").isTrue();
                long t0 = System.nanoTime();
                Object answer = attempt(loopback(0, 7), "alice", PASSWORD);
                assertThat(answer).isInstanceOf(AuthOkFrame.class);
                return (System.nanoTime() - t0) / 1_000_000;
            });
            int seq = 100;
            while (!attack.isDone()) {
                // one ping after each guess that finished since the last one: samples spread over the whole attack
                if (!guessed.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                guessed.drainPermits();
                long t0 = System.nanoTime();
                admin.send(new PingFrame(seq, seq));
                assertThat(admin.expect(PongFrame.class).correlationId()).isEqualTo(seq);
                pingMicros.recordValue((System.nanoTime() - t0) / 1000);
                seq++;
            }
            int[] outcome = attack.get();
            long ownerMillis = owner.get();
            long hashes = broker.broker().authenticator().hashesComputed() - hashesBefore;
            System.out.printf("brute force: 1000 guesses from one address: %d checked (Argon2id), %d refused before "
                    + "hashing; %d hashes in all (incl. the owner's login, %d ms from another address); ping p50 %d us, "
                    + "p99 %d us, max %d us over %d pings%n", outcome[1], outcome[0], hashes, ownerMillis,
                    pingMicros.getValueAtPercentile(50), pingMicros.getValueAtPercentile(99), pingMicros.getMaxValue(),
                    pingMicros.getTotalCount());
            assertThat(outcome[0] + outcome[1]).isEqualTo(1000);
            // the pair (alice, attacker) backs off after accountFailures: 1 s, 2 s, 4 s, ...
            assertThat(outcome[1]).isBetween(policy.accountFailures(), policy.accountFailures() + 15);
            assertThat(hashes).isLessThanOrEqualTo(outcome[1] + 1L);
            assertThat(pingMicros.getValueAtPercentile(99)).isLessThan(TimeUnit.MILLISECONDS.toMicros(500));
            assertThat(ownerMillis).isLessThan(5000);
        } finally {
            background.shutdownNow();
        }
    }

    @Test
    void shouldLockTheAccountAfterAHundredConsecutiveFailuresFromAnywhere() throws Exception {
        BrokerConfig.BruteForce policy = broker.broker().config().auth().bruteForce();
        assertThat(policy.lockoutFailures()).isEqualTo(100);
        for (int i = 0; i < policy.lockoutFailures(); i++) {
            Object answer = attempt(loopback(1, i + 1), "alice", "guess-" + i);
            assertThat(((ErrorFrame) answer).code()).as("attempt %d", i).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
        }
        long hashesBefore = broker.broker().authenticator().hashesComputed();
        ErrorFrame locked = (ErrorFrame) attempt(loopback(0, 7), "alice", PASSWORD);
        assertThat(locked.code()).isEqualTo(ErrorCode.TOO_MANY_ATTEMPTS.code());
        assertThat(locked.message()).contains("retry in");
        assertThat(broker.broker().authenticator().hashesComputed()).isEqualTo(hashesBefore);
        // other accounts are unaffected
        assertThat(attempt(loopback(0, 7), "admin", broker.adminPassword())).isInstanceOf(AuthOkFrame.class);
    }
}
