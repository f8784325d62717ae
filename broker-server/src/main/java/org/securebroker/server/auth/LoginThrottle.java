package org.securebroker.server.auth;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.securebroker.protocol.PeerText;
import org.securebroker.server.config.BrokerConfig;

/**
 * Brute-force defense, consulted before any password hash is computed:
 *
 * <ul>
 *   <li><b>Per source address:</b> after {@code addressFailures} failed logins within 10 minutes,
 *       the address must wait before its next attempt is even looked at: 1 s, then doubling with
 *       each further failure, up to {@code maxBackoff}.</li>
 *   <li><b>Per account and address:</b> after {@code accountFailures} consecutive failures of one
 *       account from one address, that pair backs off the same way. Other addresses are not held
 *       back, so the account's owner can still log in from elsewhere.</li>
 *   <li><b>Per account:</b> {@code lockoutFailures} consecutive failures from any addresses (NIST SP
 *       800-63B allows at most 100) lock the account for {@code lockoutDuration}.</li>
 * </ul>
 *
 * A success resets the account's counters. Unknown account names are counted like known ones, so
 * refusals reveal nothing about which accounts exist. Memory is bounded: at most
 * {@link #MAX_ENTRIES} entries per table, least recently used first out.
 *
 * <p>Thread-safety: thread-safe (synchronized; every call is short).
 */
public final class LoginThrottle {

    static final int MAX_ENTRIES = 100_000;
    private static final long WINDOW_MILLIS = Duration.ofMinutes(10).toMillis();
    private static final long BASE_BACKOFF_MILLIS = 1000;

    /** Why an attempt is refused before it is checked. */
    public record Refusal(String reason, long retryAfterMillis) {
    }

    private static final class Entry {
        int failures;
        long windowStart;
        long blockedUntil;
    }

    private final BrokerConfig.BruteForce policy;
    private final Clock clock;
    private final Map<InetAddress, Entry> addresses = lru();
    private final Map<String, Entry> pairs = lru();
    private final Map<String, Entry> accounts = lru();

    public LoginThrottle(BrokerConfig.BruteForce policy, Clock clock) {
        this.policy = policy;
        this.clock = clock;
    }

    private static <K> Map<K, Entry> lru() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Entry> eldest) {
                return size() > MAX_ENTRIES;
            }
        };
    }

    /** Null if the attempt may be checked, else why not. */
    public synchronized Refusal check(String account, InetAddress address) {
        long now = clock.millis();
        Entry a = addresses.get(address);
        if (a != null && now < a.blockedUntil) {
            return new Refusal("too many failed logins from " + address.getHostAddress(), a.blockedUntil - now);
        }
        if (account != null) {
            Entry acc = accounts.get(account);
            if (acc != null && now < acc.blockedUntil) {
                return new Refusal("account " + PeerText.quote(account) + " is locked after " + acc.failures + " consecutive failed logins",
                        acc.blockedUntil - now);
            }
            Entry p = pairs.get(pairKey(account, address));
            if (p != null && now < p.blockedUntil) {
                return new Refusal("too many failed logins of " + PeerText.quote(account) + " from " + address.getHostAddress(),
                        p.blockedUntil - now);
            }
        }
        return null;
    }

    public synchronized void failed(String account, InetAddress address) {
        long now = clock.millis();
        Entry a = addresses.computeIfAbsent(address, k -> new Entry());
        if (now - a.windowStart > WINDOW_MILLIS) {
            a.windowStart = now;
            a.failures = 0;
        }
        a.failures++;
        if (a.failures >= policy.addressFailures()) {
            a.blockedUntil = now + backoff(a.failures - policy.addressFailures());
        }
        if (account == null) {
            return;
        }
        Entry p = pairs.computeIfAbsent(pairKey(account, address), k -> new Entry());
        p.failures++;
        if (p.failures >= policy.accountFailures()) {
            p.blockedUntil = now + backoff(p.failures - policy.accountFailures());
        }
        Entry acc = accounts.computeIfAbsent(account, k -> new Entry());
        acc.failures++;
        if (acc.failures >= policy.lockoutFailures()) {
            acc.blockedUntil = now + policy.lockoutDuration().toMillis();
            acc.failures = policy.lockoutFailures();
        }
    }

    public synchronized void succeeded(String account, InetAddress address) {
        if (account != null) {
            accounts.remove(account);
            pairs.remove(pairKey(account, address));
        }
        Entry a = addresses.get(address);
        if (a != null && clock.millis() >= a.blockedUntil) {
            addresses.remove(address);
        }
    }

    private long backoff(int step) {
        long max = policy.maxBackoff().toMillis();
        if (step >= 30) {
            return max;
        }
        return Math.min(max, BASE_BACKOFF_MILLIS << step);
    }

    private static String pairKey(String account, InetAddress address) {
        return account + "\u0000" + address.getHostAddress();
    }
}
