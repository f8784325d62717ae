package org.securebroker.server.limits;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.securebroker.server.config.BrokerConfig;

/**
 * The client listener's connection slots, in two pools kept apart so that a flood before login
 * cannot take what clients that log in need:
 *
 * <ul>
 *   <li>unauthenticated, from accept until AUTH_OK: at most
 *       {@code listener.maxUnauthenticatedConnections} in all and
 *       {@code listener.maxUnauthenticatedPerAddress} from one source address;</li>
 *   <li>authenticated, from AUTH_OK until close: at most {@code listener.maxConnections} in all
 *       and the principal's {@code quotas.connections} (0 is no limit) for one principal.</li>
 * </ul>
 *
 * A connection holds exactly one {@link Slot} at a time; logging in trades the unauthenticated one
 * for an authenticated one, and {@link Slot#release()} frees whichever it holds, once. Every
 * refusal is reported to {@link LimitEvents}, the first of each episode marked ({@link Episodes}).
 *
 * <p>The listener limits are read once: {@code listener.*} takes effect after a restart (see
 * {@code ConfigChanges}). The quotas are read through a supplier at every login, so a reload that
 * replaces them applies to the next login; connections already open keep their slots.
 *
 * <p>Thread-safety: thread-safe and non-blocking: totals are compare-and-set counters, the counts
 * per address and per principal are updated atomically per key and dropped when they reach zero,
 * so the maps hold only addresses and principals with open connections.
 */
public final class ConnectionSlots {

    /** {@link Refusal#limit()} of the unauthenticated connections from one source address. */
    /** The subject of refusals at the broker-wide bound before login: every address at once. */
    public static final String ALL_ADDRESSES = "*";
    public static final String UNAUTHENTICATED_PER_ADDRESS = "unauthenticated-per-address";
    /** {@link Refusal#limit()} of the unauthenticated connections in all. */
    public static final String UNAUTHENTICATED = "unauthenticated";
    /** {@link Refusal#limit()} of the authenticated connections in all. */
    public static final String AUTHENTICATED = "authenticated";
    /** {@link Refusal#limit()} of one principal's authenticated connections (its quota). */
    public static final String CONNECTIONS = "connections";

    private final int maxUnauthenticated;
    private final int maxUnauthenticatedPerAddress;
    private final int maxAuthenticated;
    private final Supplier<BrokerConfig.Quotas> quotas;
    private final Episodes episodes;
    private final LimitEvents events;
    private final AtomicInteger unauthenticated = new AtomicInteger();
    private final AtomicInteger authenticated = new AtomicInteger();
    private final ConcurrentMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Integer> perPrincipal = new ConcurrentHashMap<>();

    /**
     * @param listener its {@code maxUnauthenticatedConnections}, {@code maxUnauthenticatedPerAddress}
     *     and {@code maxConnections}
     * @param quotas the quotas in force, read at each login
     */
    public ConnectionSlots(BrokerConfig.Listener listener, Supplier<BrokerConfig.Quotas> quotas, Episodes episodes,
                           LimitEvents events) {
        this.maxUnauthenticated = listener.maxUnauthenticatedConnections();
        this.maxUnauthenticatedPerAddress = listener.maxUnauthenticatedPerAddress();
        this.maxAuthenticated = listener.maxConnections();
        this.quotas = quotas;
        this.episodes = episodes;
        this.events = events;
    }

    /**
     * A new connection from {@code address}: an unauthenticated slot, or empty (the refusal
     * reported) when its address or all addresses together are at their bound.
     */
    public Optional<Slot> accept(InetAddress address) {
        if (!increment(perAddress, address, maxUnauthenticatedPerAddress)) {
            refuse(UNAUTHENTICATED_PER_ADDRESS, address.getHostAddress(), null, maxUnauthenticatedPerAddress,
                    "listener.maxUnauthenticatedPerAddress");
            return Optional.empty();
        }
        if (!increment(unauthenticated, maxUnauthenticated)) {
            decrement(perAddress, address);
            // one episode for the broker, not one per address: a flood from many addresses is still audited once
            refuse(UNAUTHENTICATED, ALL_ADDRESSES, null, maxUnauthenticated, "listener.maxUnauthenticatedConnections");
            return Optional.empty();
        }
        return Optional.of(new Slot(address));
    }

    /** Connections holding an unauthenticated slot. */
    public int unauthenticated() {
        return unauthenticated.get();
    }

    /** Connections from {@code address} holding an unauthenticated slot. */
    public int unauthenticatedFrom(InetAddress address) {
        return perAddress.getOrDefault(address, 0);
    }

    /** Connections holding an authenticated slot. */
    public int authenticated() {
        return authenticated.get();
    }

    /** Connections of {@code principal} holding an authenticated slot. */
    public int authenticatedAs(String principal) {
        return perPrincipal.getOrDefault(principal, 0);
    }

    private Refusal refuse(String limit, String subject, String principal, long value, String setting) {
        Refusal refusal = episodes.refusal(limit, subject, principal, value, setting);
        events.refused(refusal);
        return refusal;
    }

    /** Takes one of {@code counter} unless it is at {@code max}. */
    private static boolean increment(AtomicInteger counter, int max) {
        while (true) {
            int now = counter.get();
            if (now >= max) {
                return false;
            }
            if (counter.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Takes one for {@code key} unless it has {@code max} (0: no bound, only counted). */
    private static <K> boolean increment(ConcurrentMap<K, Integer> counts, K key, int max) {
        boolean[] taken = {false};
        counts.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (max > 0 && now >= max) {
                return n;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    /** Gives one back for {@code key}, forgetting the key at zero. */
    private static <K> void decrement(ConcurrentMap<K, Integer> counts, K key) {
        counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /**
     * One connection's slot: unauthenticated when made, authenticated after
     * {@link #authenticate(String)}, released by {@link #release()}.
     *
     * <p>Thread-safety: thread-safe. Logging in and closing may race (a login finishing on the
     * hash pool while the connection closes): whichever order they run in, each count is taken
     * and given back exactly once.
     */
    public final class Slot {

        private static final int UNAUTHENTICATED_SLOT = 0;
        private static final int AUTHENTICATED_SLOT = 1;
        private static final int RELEASED = 2;

        private final InetAddress address;
        private final AtomicInteger state = new AtomicInteger(UNAUTHENTICATED_SLOT);
        /** Written before {@link #state} moves to AUTHENTICATED_SLOT and read only after, so the state orders it. */
        private String principal;

        private Slot(InetAddress address) {
            this.address = address;
        }

        /** The source address the connection came from. */
        public InetAddress address() {
            return address;
        }

        /**
         * Trades the unauthenticated slot for an authenticated one of {@code principal}. Refused,
         * keeping the unauthenticated slot, when the principal is at its quota
         * ({@link #CONNECTIONS}, checked first: it is the principal's own limit) or the broker at
         * {@code listener.maxConnections} ({@link #AUTHENTICATED}); the refusal is reported and
         * returned. A slot released meanwhile (the connection closed) takes nothing and is not
         * refused: there is nothing left to admit.
         *
         * @throws IllegalStateException if the slot is authenticated already: a session logs in
         *     once, re-authentication keeps its slot
         */
        public Optional<Refusal> authenticate(String principal) {
            int now = state.get();
            if (now == AUTHENTICATED_SLOT) {
                throw new IllegalStateException("the connection holds an authenticated slot already");
            }
            if (now == RELEASED) {
                return Optional.empty();
            }
            BrokerConfig.Quotas q = quotas.get();
            int quota = q.of(principal).connections();
            if (!increment(perPrincipal, principal, quota)) {
                String setting = q.principals().containsKey(principal)
                        ? "quotas.principals[" + principal + "].connections" : "quotas.connections";
                return Optional.of(refuse(CONNECTIONS, principal, principal, quota, setting));
            }
            if (!increment(authenticated, maxAuthenticated)) {
                decrement(perPrincipal, principal);
                return Optional.of(refuse(AUTHENTICATED, principal, principal, maxAuthenticated,
                        "listener.maxConnections"));
            }
            this.principal = principal;
            if (!state.compareAndSet(UNAUTHENTICATED_SLOT, AUTHENTICATED_SLOT)) {
                // released while claiming: release freed the unauthenticated slot, this gives back what it took
                authenticated.decrementAndGet();
                decrement(perPrincipal, principal);
                return Optional.empty();
            }
            unauthenticated.decrementAndGet();
            decrement(perAddress, address);
            return Optional.empty();
        }

        /** Whether the slot is an authenticated one (the connection logged in and is open). */
        public boolean isAuthenticated() {
            return state.get() == AUTHENTICATED_SLOT;
        }

        /**
         * Frees the slot (the connection closed). Only the first call frees anything.
         *
         * @return whether this call freed it
         */
        public boolean release() {
            int before = state.getAndSet(RELEASED);
            if (before == UNAUTHENTICATED_SLOT) {
                unauthenticated.decrementAndGet();
                decrement(perAddress, address);
            } else if (before == AUTHENTICATED_SLOT) {
                authenticated.decrementAndGet();
                decrement(perPrincipal, principal);
            }
            return before != RELEASED;
        }
    }
}
