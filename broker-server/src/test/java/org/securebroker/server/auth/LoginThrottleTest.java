package org.securebroker.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.securebroker.server.config.BrokerConfig;

class LoginThrottleTest {

    private static final BrokerConfig.BruteForce POLICY =
            new BrokerConfig.BruteForce(10, 5, Duration.ofMinutes(5), 100, Duration.ofHours(1));

    private final MutableClock clock = new MutableClock();
    private final LoginThrottle throttle = new LoginThrottle(POLICY, clock);
    private final InetAddress attacker = address(66);
    private final InetAddress owner = address(7);

    private static InetAddress address(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldBackOffAnAccountFromOneAddressButNotFromAnother() {
        for (int i = 0; i < 5; i++) {
            assertThat(throttle.check("alice", attacker)).isNull();
            throttle.failed("alice", attacker);
        }
        LoginThrottle.Refusal refusal = throttle.check("alice", attacker);
        assertThat(refusal).isNotNull();
        assertThat(refusal.retryAfterMillis()).isEqualTo(1000);
        assertThat(throttle.check("alice", owner)).isNull();
        clock.advance(Duration.ofMillis(1000));
        assertThat(throttle.check("alice", attacker)).isNull();
        throttle.failed("alice", attacker);
        assertThat(throttle.check("alice", attacker).retryAfterMillis()).isEqualTo(2000);
    }

    @Test
    void shouldBackOffAnAddressThatTriesManyAccounts() {
        for (int i = 0; i < 10; i++) {
            throttle.failed("user" + i, attacker);
        }
        assertThat(throttle.check("someone-else", attacker)).isNotNull();
        assertThat(throttle.check("someone-else", owner)).isNull();
    }

    @Test
    void shouldCapTheBackOff() {
        for (int i = 0; i < 60; i++) {
            throttle.failed(null, attacker);
        }
        assertThat(throttle.check(null, attacker).retryAfterMillis()).isEqualTo(Duration.ofMinutes(5).toMillis());
    }

    @Test
    void shouldLockTheAccountAfterTheHundredthConsecutiveFailureFromAnywhere() {
        for (int i = 0; i < 99; i++) {
            throttle.failed("alice", address(100 + i % 100));
            clock.advance(Duration.ofMinutes(6));
        }
        assertThat(throttle.check("alice", owner)).isNull();
        throttle.failed("alice", address(99));
        LoginThrottle.Refusal locked = throttle.check("alice", owner);
        assertThat(locked).isNotNull();
        assertThat(locked.reason()).contains("locked");
        clock.advance(Duration.ofHours(1));
        assertThat(throttle.check("alice", owner)).isNull();
    }

    @Test
    void shouldResetTheAccountOnSuccess() {
        for (int i = 0; i < 4; i++) {
            throttle.failed("alice", owner);
        }
        throttle.succeeded("alice", owner);
        for (int i = 0; i < 4; i++) {
            throttle.failed("alice", owner);
        }
        assertThat(throttle.check("alice", owner)).isNull();
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-11-27T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
