package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.server.Broker;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.limits.ConnectionSlots;

/**
 * Connection slots against a real broker: a flood of connections that never log in, from one
 * source address, cannot lock out a client that logs in, and leaves no slot taken once it closes;
 * a principal at its connection quota is refused at login while others log in.
 */
class ConnectionFloodIT {

    private static final int FLOOD = 2000;
    private static final String PASSWORD = "correct horse battery staple";

    @TempDir
    Path dir;

    private TestBroker broker;
    private final List<Socket> flood = new ArrayList<>();

    @AfterEach
    void stop() {
        for (Socket s : flood) {
            closeQuietly(s);
        }
        if (broker != null) {
            broker.close();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // cleanup only: the socket is gone either way
        }
    }

    private static InetAddress loopback(int last) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    private static double refusals(Broker b, String limit) {
        String series = "limit=\"" + limit + "\"";
        return b.metrics().scrape().lines()
                .filter(l -> l.startsWith("securebroker_limit_refusals_total{") && l.contains(series))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }

    @Test
    void shouldLetAClientLogInWithinASecondWhileTwoThousandConnectionsFromOneAddressWaitBeforeLogin()
            throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> c.withListener(withMaxConnections(c.listener(), 500)));
        Broker b = broker.broker();
        BrokerConfig.Listener l = b.config().listener();
        String password = broker.adminPassword();
        // the first TLS client pays for class loading and the JIT; the measured login must not
        try (RawConnection warm = RawConnection.tls(broker.port(), broker.caCert(), loopback(1))) {
            warm.login("admin", password);
        }

        InetAddress attacker = loopback(2);
        for (int i = 0; i < FLOOD; i++) {
            Socket s = new Socket();
            flood.add(s);
            s.bind(new InetSocketAddress(attacker, 0));
            s.connect(new InetSocketAddress("127.0.0.1", broker.port()), 5000);
        }

        long started = System.nanoTime();
        try (RawConnection client = RawConnection.tls(broker.port(), broker.caCert(), loopback(1))) {
            client.login("admin", password);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertThat(millis).as("connect to AUTH_OK during the flood, in ms").isLessThan(1000);
            assertThat(b.connectionSlots().authenticated()).isEqualTo(1);
        }

        int held = l.maxUnauthenticatedPerAddress();
        assertThat(closedByTheBroker(flood, FLOOD - held, Duration.ofSeconds(5)))
                .as("every connection over listener.maxUnauthenticatedPerAddress is closed").isEqualTo(FLOOD - held);
        assertThat(b.connectionSlots().unauthenticatedFrom(attacker)).isEqualTo(held);
        assertThat(refusals(b, ConnectionSlots.UNAUTHENTICATED_PER_ADDRESS)).isEqualTo(FLOOD - held);
        // the flood is one episode: audited once, with the address, not once per refused connection
        assertThat(AuditTrail.await(b.config().audit().dir(), "limit.exceeded", 1)).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo(attacker.getHostAddress());
            assertThat(e.decision()).isEqualTo("deny");
            assertThat(e.details()).containsEntry("limit", ConnectionSlots.UNAUTHENTICATED_PER_ADDRESS);
            assertThat(e.reason()).contains("listener.maxUnauthenticatedPerAddress");
        });

        for (Socket s : flood) {
            s.close();
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(b.connectionSlots().unauthenticated()).isZero();
            assertThat(b.connectionSlots().unauthenticatedFrom(attacker)).isZero();
            assertThat(b.connectionSlots().authenticated()).isZero();
        });
        try (RawConnection again = RawConnection.tls(broker.port(), broker.caCert(), attacker)) {
            assertThat(again.login("admin", password).principal()).as("the address may connect again").isEqualTo("admin");
        }
    }

    /**
     * How many of {@code sockets} the broker closed (end of stream) within {@code wait}, stopping
     * early once {@code expected} are. The others are still open and hold their slots.
     */
    private static int closedByTheBroker(List<Socket> sockets, int expected, Duration wait) throws IOException {
        boolean[] closed = new boolean[sockets.size()];
        int count = 0;
        long deadline = System.nanoTime() + wait.toNanos();
        while (count < expected && System.nanoTime() < deadline) {
            for (int i = 0; i < sockets.size(); i++) {
                if (closed[i]) {
                    continue;
                }
                Socket s = sockets.get(i);
                s.setSoTimeout(1);
                InputStream in = s.getInputStream();
                try {
                    if (in.read() < 0) {
                        closed[i] = true;
                        count++;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // the broker holds it: one of the address's unauthenticated slots
                } catch (IOException reset) {
                    closed[i] = true;
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void shouldRefuseAPrincipalAtItsConnectionQuotaWithQuotaExceededWhileAnotherLogsIn() throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> c.withQuotas(new BrokerConfig.Quotas(c.quotas().defaults(),
                Map.of("alice", withConnections(c.quotas().defaults(), 1)))));
        addAlice();
        String adminPassword = broker.adminPassword();

        try (RawConnection first = loginEventually("alice", PASSWORD);
             RawConnection second = RawConnection.tls(broker.port(), broker.caCert())) {
            Object answer = second.attempt("alice", PASSWORD);

            assertThat(answer).isInstanceOfSatisfying(ErrorFrame.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED.code());
                assertThat(e.message()).contains("principal 'alice' has 1 connections open",
                        "quotas.principals[alice].connections");
            });
            assertThat(second.next()).isSameAs(RawConnection.CLOSED);
            try (RawConnection admin = RawConnection.tls(broker.port(), broker.caCert())) {
                assertThat(admin.login("admin", adminPassword).principal()).isEqualTo("admin");
            }
            assertThat(first.isOpen()).isTrue();
            assertThat(refusals(broker.broker(), ConnectionSlots.CONNECTIONS)).isEqualTo(1);
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                broker.broker().connectionSlots().authenticatedAs("alice") == 0);
        try (RawConnection after = RawConnection.tls(broker.port(), broker.caCert())) {
            assertThat(after.login("alice", PASSWORD).principal()).as("the closed connection's slot is free")
                    .isEqualTo("alice");
        }
    }

    @Test
    void shouldRefuseALoginWithOverloadedAtListenerMaxConnections() throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> c.withListener(withMaxConnections(c.listener(), 1)));
        addAlice();

        try (RawConnection alice = loginEventually("alice", PASSWORD);
             RawConnection admin = RawConnection.tls(broker.port(), broker.caCert())) {
            assertThat(alice.isOpen()).isTrue();

            assertThat(admin.attempt("admin", broker.adminPassword())).isInstanceOfSatisfying(ErrorFrame.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED.code());
                assertThat(e.message()).contains("the broker has 1 authenticated connections open",
                        "listener.maxConnections");
            });
            assertThat(admin.next()).isSameAs(RawConnection.CLOSED);
            assertThat(refusals(broker.broker(), ConnectionSlots.AUTHENTICATED)).isEqualTo(1);
        }
    }

    private void addAlice() throws Exception {
        UserStore.load(broker.broker().config().auth().usersFile()).update(all -> {
            all.put("alice", User.of("alice", PasswordSecrets.derive(PASSWORD.toCharArray(), Argon2id.OWASP_MINIMUM,
                    4096, new SecureRandom()), List.of(), Instant.now()));
            return all;
        });
    }

    /** Logs in once the broker has picked up the users file (it polls it every second). */
    private RawConnection loginEventually(String user, String password) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            RawConnection c = RawConnection.tls(broker.port(), broker.caCert());
            Object answer = c.attempt(user, password);
            if (!(answer instanceof ErrorFrame) || System.nanoTime() > deadline) {
                return c;
            }
            c.close();
            Thread.sleep(200);
        }
    }

    private static BrokerConfig.Listener withMaxConnections(BrokerConfig.Listener l, int max) {
        return new BrokerConfig.Listener(l.host(), l.port(), l.handshakeTimeout(), l.authTimeout(), l.maxFrameSize(), max,
                l.maxUnauthenticatedConnections(), l.maxUnauthenticatedPerAddress(), l.maxInFlightPublishes(),
                l.maxInFlightPublishBytes(), l.deliveryBufferBytes(), l.consumerWindowBytes());
    }

    private static BrokerConfig.PrincipalQuota withConnections(BrokerConfig.PrincipalQuota q, int connections) {
        return new BrokerConfig.PrincipalQuota(connections, q.queues(), q.subscriptions(), q.consumers(), q.publishRate(),
                q.publishByteRate());
    }
}
