package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerClientBuilder;
import org.securebroker.client.BrokerException;
import org.securebroker.client.PasswordMechanism;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.tls.LocalCa;
import org.slf4j.LoggerFactory;

/**
 * The Java client's mechanisms against the real broker: SCRAM-SHA-256 by default (and the client
 * refusing a broker that cannot prove it knows the user's key), PLAIN on request, and JWT with
 * renewal on the same connection, using the development token key {@code broker init} creates.
 */
class ClientAuthIT {

    private static final String PASSWORD = "a long enough password";
    private static final String SESSIONS = "org.securebroker.server.session.SessionAuthentication";

    @TempDir
    Path dir;

    private TestBroker broker;
    private UserStore users;
    private ListAppender<ILoggingEvent> log;

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> {
            return c.withAuth(c.auth().withJwt(DevTokens.config(c.dataDir().resolve(BrokerConfig.Layout.JWT_DEV_PUBLIC_KEY))));
        });
        users = UserStore.load(broker.broker().config().auth().usersFile());
        users.update(all -> {
            all.put("alice", User.of("alice", PasswordSecrets.derive(PASSWORD.toCharArray(), Argon2id.OWASP_MINIMUM, 4096,
                    new SecureRandom()), List.of(), Instant.now()));
            return all;
        });
        log = new ListAppender<>();
        log.start();
        Logger sessions = (Logger) LoggerFactory.getLogger(SESSIONS);
        sessions.setLevel(Level.INFO);
        sessions.addAppender(log);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(SESSIONS)).detachAppender(log);
        broker.close();
    }

    private BrokerClientBuilder builder() {
        return BrokerClient.builder().address("localhost", broker.port()).trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys())
                .reconnect(ReconnectPolicy.never()).connectTimeout(Duration.ofSeconds(20));
    }

    private List<String> logged(String fragment) {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(fragment)).toList();
    }

    @Test
    void shouldUseScramByDefaultAndPlainOnRequest() throws Exception {
        long hashes = broker.broker().authenticator().hashesComputed();
        try (BrokerClient c = builder().credentials("alice", PASSWORD.toCharArray()).connect()) {
            c.listQueues();
        }
        assertThat(logged("authenticated 'alice' (SCRAM-SHA-256")).hasSize(1);
        assertThat(broker.broker().authenticator().hashesComputed()).as("SCRAM computes no Argon2id").isEqualTo(hashes);
        try (BrokerClient c = builder().credentials("alice", PASSWORD.toCharArray())
                .passwordMechanism(PasswordMechanism.PLAIN).connect()) {
            c.listQueues();
        }
        assertThat(logged("authenticated 'alice' (PLAIN")).hasSize(1);
    }

    @Test
    void shouldRefuseAWrongScramPassword() {
        assertThatThrownBy(() -> builder().credentials("alice", "not the password at all".toCharArray()).connect())
                .isInstanceOfSatisfying(BrokerException.class, e ->
                        assertThat(e.code()).contains(ErrorCode.AUTHENTICATION_FAILED));
        assertThat(logged("SCRAM-SHA-256 authentication of 'alice' failed: wrong password")).hasSize(1);
    }

    @Test
    void shouldMakeTheClientRefuseABrokerThatDoesNotKnowTheServerKey() throws Exception {
        // a broker that stole StoredKey but not ServerKey can check proofs but not sign: the client must notice
        users.update(all -> {
            User alice = all.get("alice");
            Scram.Credentials real = alice.scram();
            byte[] forged = new byte[32];
            new SecureRandom().nextBytes(forged);
            all.put("alice", alice.withScram(new Scram.Credentials(real.salt(), real.iterations(), real.storedKey(), forged)));
            return all;
        });
        assertThatThrownBy(() -> builder().credentials("alice", PASSWORD.toCharArray()).connect())
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("server signature");
        assertThat(logged("authenticated 'alice' (SCRAM-SHA-256")).hasSize(1);
    }

    @Test
    void shouldRenewATokenSessionOnTheSameConnection() throws Exception {
        PrivateKey devKey = LocalCa.readPrivateKey(dir.resolve("data").resolve(BrokerConfig.Layout.JWT_DEV_PRIVATE_KEY));
        AtomicInteger minted = new AtomicInteger();
        Duration ttl = Duration.ofSeconds(8);
        try (BrokerClient c = builder().tokenSupplier(() -> {
            minted.incrementAndGet();
            return DevTokens.mint(devKey, new DevTokens.Request(DevTokens.ISSUER, DevTokens.AUDIENCE, DevTokens.KEY_ID,
                    "svc-billing", List.of(), ttl), Clock.systemUTC());
        }).connect()) {
            Instant firstDeadline = c.sessionExpiresAt().orElseThrow();
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> Instant.now().isAfter(firstDeadline.plusSeconds(2)));
            c.listQueues();
            assertThat(c.sessionExpiresAt().orElseThrow()).isAfter(firstDeadline);
        }
        assertThat(minted.get()).isGreaterThanOrEqualTo(2);
        assertThat(logged("authenticated 'svc-billing' (JWT")).as("one connection only").hasSize(1);
        assertThat(logged("'svc-billing' re-authenticated, session renewed")).isNotEmpty();
    }
}
