package org.securebroker.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;
import org.securebroker.testing.MutableClock;

class ConnectionSlotsTest {

    private static final InetAddress A = address(10, 0, 0, 1);
    private static final InetAddress B = address(10, 0, 0, 2);

    private final MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
    private final List<Refusal> refusals = new CopyOnWriteArrayList<>();
    private final AtomicReference<BrokerConfig.Quotas> quotas = new AtomicReference<>(quotas(1000, Map.of()));

    private static InetAddress address(int... bytes) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) bytes[0], (byte) bytes[1], (byte) bytes[2],
                    (byte) bytes[3]});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BrokerConfig.Quotas quotas(int connections, Map<String, Integer> own) {
        BrokerConfig.PrincipalQuota d = ConfigLoader.DEFAULT_PRINCIPAL_QUOTA;
        Map<String, BrokerConfig.PrincipalQuota> principals = new java.util.HashMap<>();
        own.forEach((p, n) -> principals.put(p, new BrokerConfig.PrincipalQuota(n, d.queues(), d.subscriptions(),
                d.consumers(), d.publishRate(), d.publishByteRate())));
        return new BrokerConfig.Quotas(new BrokerConfig.PrincipalQuota(connections, d.queues(), d.subscriptions(),
                d.consumers(), d.publishRate(), d.publishByteRate()), principals);
    }

    private ConnectionSlots slots(int unauthenticated, int perAddress, int authenticated) {
        BrokerConfig.Listener l = ConfigLoader.defaults(java.nio.file.Path.of("data")).listener();
        BrokerConfig.Listener limits = new BrokerConfig.Listener(l.host(), l.port(), l.handshakeTimeout(),
                l.authTimeout(), l.maxFrameSize(), authenticated, unauthenticated, perAddress, l.maxInFlightPublishes(),
                l.maxInFlightPublishBytes(), l.deliveryBufferBytes(), l.consumerWindowBytes());
        return new ConnectionSlots(limits, quotas::get, new Episodes(clock, Duration.ofMinutes(1)), refusals::add);
    }

    private static List<ConnectionSlots.Slot> accept(ConnectionSlots slots, InetAddress from, int n) {
        List<ConnectionSlots.Slot> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(slots.accept(from).orElseThrow());
        }
        return out;
    }

    @Test
    void shouldRefuseAnAddressAtItsBoundWhileOtherAddressesStillConnect() {
        ConnectionSlots slots = slots(100, 3, 100);
        accept(slots, A, 3);

        assertThat(slots.accept(A)).isEmpty();
        assertThat(slots.accept(B)).isPresent();
        assertThat(slots.unauthenticatedFrom(A)).isEqualTo(3);
        assertThat(slots.unauthenticated()).isEqualTo(4);
        assertThat(refusals).singleElement().satisfies(r -> {
            assertThat(r.limit()).isEqualTo(ConnectionSlots.UNAUTHENTICATED_PER_ADDRESS);
            assertThat(r.subject()).isEqualTo("10.0.0.1");
            assertThat(r.principal()).isNull();
            assertThat(r.value()).isEqualTo(3);
            assertThat(r.setting()).isEqualTo("listener.maxUnauthenticatedPerAddress");
        });
    }

    @Test
    void shouldRefuseAtTheUnauthenticatedTotalWithoutKeepingThePerAddressCount() {
        ConnectionSlots slots = slots(4, 3, 100);
        accept(slots, A, 3);
        accept(slots, B, 1);

        assertThat(slots.accept(B)).isEmpty();
        assertThat(slots.unauthenticatedFrom(B)).as("the refused one gave its address count back").isEqualTo(1);
        assertThat(slots.unauthenticated()).isEqualTo(4);
        assertThat(slots.accept(address(10, 0, 0, 3))).isEmpty();
        // one episode for the broker-wide bound, whichever addresses the refused connections come from
        assertThat(refusals).hasSize(2).allSatisfy(r -> {
            assertThat(r.limit()).isEqualTo(ConnectionSlots.UNAUTHENTICATED);
            assertThat(r.subject()).isEqualTo(ConnectionSlots.ALL_ADDRESSES);
            assertThat(r.setting()).isEqualTo("listener.maxUnauthenticatedConnections");
        });
        assertThat(refusals).extracting(Refusal::firstOfEpisode).containsExactly(true, false);
    }

    @Test
    void shouldMarkOnlyTheFirstRefusalOfAnEpisode() {
        ConnectionSlots slots = slots(100, 1, 100);
        accept(slots, A, 1);
        for (int i = 0; i < 5; i++) {
            slots.accept(A);
        }
        clock.advance(Duration.ofMinutes(2));
        slots.accept(A);

        assertThat(refusals).extracting(Refusal::firstOfEpisode).containsExactly(true, false, false, false, false, true);
    }

    @Test
    void shouldFreeTheUnauthenticatedSlotWhenLoggingIn() {
        ConnectionSlots slots = slots(2, 2, 100);
        List<ConnectionSlots.Slot> two = accept(slots, A, 2);

        assertThat(two.get(0).authenticate("alice")).isEmpty();

        assertThat(two.get(0).isAuthenticated()).isTrue();
        assertThat(slots.unauthenticated()).isEqualTo(1);
        assertThat(slots.unauthenticatedFrom(A)).isEqualTo(1);
        assertThat(slots.authenticated()).isEqualTo(1);
        assertThat(slots.authenticatedAs("alice")).isEqualTo(1);
        assertThat(slots.accept(A)).as("the freed slot is taken again").isPresent();
    }

    @Test
    void shouldRefuseAPrincipalAtItsQuotaAndAdmitAnother() {
        quotas.set(quotas(1000, Map.of("alice", 2)));
        ConnectionSlots slots = slots(100, 100, 100);
        for (ConnectionSlots.Slot s : accept(slots, A, 2)) {
            assertThat(s.authenticate("alice")).isEmpty();
        }
        ConnectionSlots.Slot third = slots.accept(A).orElseThrow();

        Optional<Refusal> refused = third.authenticate("alice");

        assertThat(refused).hasValueSatisfying(r -> {
            assertThat(r.limit()).isEqualTo(ConnectionSlots.CONNECTIONS);
            assertThat(r.subject()).isEqualTo("alice");
            assertThat(r.principal()).isEqualTo("alice");
            assertThat(r.value()).isEqualTo(2);
            assertThat(r.setting()).isEqualTo("quotas.principals[alice].connections");
        });
        assertThat(refusals).containsExactly(refused.get());
        assertThat(third.isAuthenticated()).isFalse();
        assertThat(slots.unauthenticated()).as("the refused connection keeps its slot until it closes").isEqualTo(1);
        assertThat(slots.authenticatedAs("alice")).isEqualTo(2);
        assertThat(slots.accept(B).orElseThrow().authenticate("bob")).isEmpty();
        assertThat(third.release()).isTrue();
        assertThat(slots.unauthenticated()).isZero();
    }

    @Test
    void shouldReadTheQuotaInForceAtEachLogin() {
        quotas.set(quotas(1, Map.of()));
        ConnectionSlots slots = slots(100, 100, 100);
        assertThat(slots.accept(A).orElseThrow().authenticate("bob")).isEmpty();
        assertThat(slots.accept(A).orElseThrow().authenticate("bob")).hasValueSatisfying(r ->
                assertThat(r.setting()).isEqualTo("quotas.connections"));

        quotas.set(quotas(0, Map.of()));

        assertThat(slots.accept(A).orElseThrow().authenticate("bob")).as("0 is no limit").isEmpty();
        assertThat(slots.authenticatedAs("bob")).isEqualTo(2);
    }

    @Test
    void shouldRefuseAtTheBrokerWideBoundWithoutKeepingThePrincipalCount() {
        ConnectionSlots slots = slots(100, 100, 2);
        for (ConnectionSlots.Slot s : accept(slots, A, 2)) {
            assertThat(s.authenticate("alice")).isEmpty();
        }

        Optional<Refusal> refused = slots.accept(B).orElseThrow().authenticate("bob");

        assertThat(refused).hasValueSatisfying(r -> {
            assertThat(r.limit()).isEqualTo(ConnectionSlots.AUTHENTICATED);
            assertThat(r.value()).isEqualTo(2);
            assertThat(r.setting()).isEqualTo("listener.maxConnections");
        });
        assertThat(slots.authenticatedAs("bob")).isZero();
        assertThat(slots.authenticated()).isEqualTo(2);
    }

    @Test
    void shouldReleaseExactlyOnce() {
        ConnectionSlots slots = slots(100, 100, 100);
        ConnectionSlots.Slot unauthenticated = slots.accept(A).orElseThrow();
        ConnectionSlots.Slot authenticated = slots.accept(A).orElseThrow();
        authenticated.authenticate("alice");
        slots.accept(A).orElseThrow().authenticate("alice");

        assertThat(unauthenticated.release()).isTrue();
        assertThat(unauthenticated.release()).isFalse();
        assertThat(authenticated.release()).isTrue();
        assertThat(authenticated.release()).isFalse();

        assertThat(slots.unauthenticated()).isZero();
        assertThat(slots.unauthenticatedFrom(A)).isZero();
        assertThat(slots.authenticated()).isEqualTo(1);
        assertThat(slots.authenticatedAs("alice")).isEqualTo(1);
    }

    @Test
    void shouldTakeNothingWhenLoggingInOnAReleasedSlot() {
        ConnectionSlots slots = slots(100, 100, 100);
        ConnectionSlots.Slot slot = slots.accept(A).orElseThrow();
        slot.release();

        assertThat(slot.authenticate("alice")).isEmpty();

        assertThat(slot.isAuthenticated()).isFalse();
        assertThat(slots.authenticated()).isZero();
        assertThat(slots.authenticatedAs("alice")).isZero();
        assertThat(slots.unauthenticated()).isZero();
    }

    @Test
    void shouldRefuseASecondLoginOnOneSlot() {
        ConnectionSlots slots = slots(100, 100, 100);
        ConnectionSlots.Slot slot = slots.accept(A).orElseThrow();
        slot.authenticate("alice");

        assertThatThrownBy(() -> slot.authenticate("alice")).isInstanceOf(IllegalStateException.class);
        assertThat(slots.authenticatedAs("alice")).isEqualTo(1);
    }

    /**
     * Many threads accept, log in and close at once, half of them releasing while their login
     * runs: the bounds are never exceeded and every count returns to zero.
     */
    @Test
    void shouldKeepBoundsAndReturnToZeroUnderConcurrentUse() throws Exception {
        quotas.set(quotas(5, Map.of()));
        ConnectionSlots slots = slots(40, 10, 20);
        InetAddress[] addresses = {A, B, address(10, 0, 0, 3), address(10, 0, 0, 4), address(10, 0, 0, 5)};
        String[] principals = {"p0", "p1", "p2", "p3", "p4", "p5"};
        int threads = 16;
        AtomicInteger mostUnauthenticated = new AtomicInteger();
        AtomicInteger mostAuthenticated = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads * 2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2000; i++) {
                        Optional<ConnectionSlots.Slot> s = slots.accept(addresses[(id + i) % addresses.length]);
                        if (s.isEmpty()) {
                            continue;
                        }
                        ConnectionSlots.Slot slot = s.get();
                        if (i % 2 == 0) {
                            Future<?> closer = pool.submit(slot::release);
                            slot.authenticate(principals[(id * 7 + i) % principals.length]);
                            closer.get();
                        } else {
                            slot.authenticate(principals[(id * 7 + i) % principals.length]);
                        }
                        mostUnauthenticated.accumulateAndGet(slots.unauthenticated(), Math::max);
                        mostAuthenticated.accumulateAndGet(slots.authenticated(), Math::max);
                        for (String p : principals) {
                            assertThat(slots.authenticatedAs(p)).isLessThanOrEqualTo(5);
                        }
                        for (InetAddress a : addresses) {
                            assertThat(slots.unauthenticatedFrom(a)).isLessThanOrEqualTo(10);
                        }
                        slot.release();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(mostUnauthenticated.get()).isLessThanOrEqualTo(40);
        assertThat(mostAuthenticated.get()).isLessThanOrEqualTo(20);
        assertThat(slots.unauthenticated()).isZero();
        assertThat(slots.authenticated()).isZero();
        for (InetAddress a : addresses) {
            assertThat(slots.unauthenticatedFrom(a)).isZero();
        }
        for (String p : principals) {
            assertThat(slots.authenticatedAs(p)).isZero();
        }
    }
}
