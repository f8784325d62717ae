package org.securebroker.server.admin;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.session.ConnectionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches for traffic that does not fit and raises alerts: bursts of authentication failures or
 * authorization denials per principal and per source address, a principal appearing from an
 * address it never used before, publish or consume rates far above the principal's own recent
 * baseline, and bursts of frames rejected as malformed. Each alert is handed to {@code alerts}
 * (the broker writes it to the audit log, which the server log and the metrics follow), and is
 * raised at most once per window for the same subject, so an attack does not flood the log.
 *
 * <p>It learns from the audit events ({@link #observe}), from the front end ({@link
 * #protocolError}) and from traffic counts ({@link #traffic}). State is bounded: at most
 * {@value #MAX_KEYS} subjects per kind are tracked, the oldest forgotten first.
 *
 * <p>Thread-safety: thread-safe; callbacks are cheap and never block.
 */
public final class AnomalyDetector implements ConnectionListener {

    private static final Logger LOG = LoggerFactory.getLogger(AnomalyDetector.class);
    static final int MAX_KEYS = 10_000;
    private static final int MAX_ADDRESSES_PER_PRINCIPAL = 64;
    /** Rates are measured over buckets of this length; the baseline needs this many buckets first. */
    static final long BUCKET_MILLIS = 10_000;
    static final int BASELINE_BUCKETS = 6;

    private final Clock clock;
    private final Consumer<AuditEvent> alerts;
    private volatile BrokerConfig.Alerts settings;
    private volatile Bursts authFailures;
    private volatile Bursts denials;
    private volatile Bursts malformed;
    private final Map<String, Set<String>> addresses = new ConcurrentHashMap<>();
    private final Map<String, Rate> rates = new ConcurrentHashMap<>();
    private final Map<String, Long> lastRaised = new ConcurrentHashMap<>();

    public AnomalyDetector(BrokerConfig.Alerts settings, Clock clock, Consumer<AuditEvent> alerts) {
        this.clock = clock;
        this.alerts = alerts;
        configure(settings);
    }

    /** New thresholds (a configuration reload); the bursts counted so far start over. */
    public void configure(BrokerConfig.Alerts value) {
        this.authFailures = new Bursts(value.authFailures(), value.window().toMillis());
        this.denials = new Bursts(value.denials(), value.window().toMillis());
        this.malformed = new Bursts(value.malformedFrames(), value.window().toMillis());
        this.settings = value;
    }

    /** Learns from every audit event the broker records. */
    public void observe(AuditEvent event) {
        String type = event.type();
        long now = clock.millis();
        if (type.equals("auth.failure")) {
            if (event.principal() != null && authFailures.hit("principal " + event.principal(), now)) {
                raise("auth-failures", event.principal(), event.source(), settings.authFailures()
                        + " or more failed logins for this principal within " + settings.window(), now);
            }
            String host = host(event.source());
            if (host != null && authFailures.hit("source " + host, now)) {
                raise("auth-failures", null, host, settings.authFailures() + " or more failed logins from this "
                        + "address within " + settings.window(), now);
            }
        } else if (type.equals("authz.deny")) {
            if (event.principal() != null && denials.hit("principal " + event.principal(), now)) {
                raise("denials", event.principal(), event.source(), settings.denials()
                        + " or more denied commands for this principal within " + settings.window(), now);
            }
        } else if (type.equals("auth.success") && settings.newSourceAddress()) {
            newAddress(event.principal(), host(event.source()), now);
        }
    }

    @Override
    public void protocolError(Channel channel, String reason) {
        long now = clock.millis();
        String host = host(channel.remoteAddress());
        if (host != null && malformed.hit("source " + host, now)) {
            raise("malformed-frames", null, host, settings.malformedFrames() + " or more rejected frames from this "
                    + "address within " + settings.window() + " (last: " + reason + ")", now);
        }
    }

    /** Counts messages a principal published or was delivered ({@code action} publish or consume). */
    public void traffic(String principal, String action, int messages) {
        if (principal == null || settings.rateFactor() <= 0) {
            return;
        }
        long now = clock.millis();
        Rate rate = bounded(rates, principal + " " + action, k -> new Rate());
        String surge;
        synchronized (rate) {
            surge = rate.add(now, messages, settings.rateFactor(), settings.rateMinimum());
        }
        if (surge != null) {
            raise(action + "-rate", principal, null, surge, now);
        }
    }

    private void newAddress(String principal, String host, long now) {
        if (principal == null || host == null) {
            return;
        }
        Set<String> known = bounded(addresses, principal, p -> ConcurrentHashMap.newKeySet());
        if (known.contains(host)) {
            return;
        }
        boolean first = known.isEmpty();
        if (known.size() >= MAX_ADDRESSES_PER_PRINCIPAL) {
            Iterator<String> it = known.iterator();
            it.next();
            it.remove();
        }
        known.add(host);
        if (!first) {
            raise("new-source", principal, host, "the principal authenticated from an address it has not used since "
                    + "the broker started", now);
        }
    }

    private void raise(String kind, String principal, String source, String reason, long now) {
        // one subject per alert: the principal when there is one, else the address
        String key = kind + "|" + (principal != null ? "principal " + principal : "source " + source);
        Long last = lastRaised.get(key);
        if (last != null && now - last < settings.window().toMillis()) {
            return;
        }
        if (lastRaised.size() >= MAX_KEYS) {
            lastRaised.clear();
        }
        lastRaised.put(key, now);
        LOG.warn("ALERT {}: {}{}{}", kind, principal == null ? "" : "principal '" + principal + "' ",
                source == null ? "" : "from " + source + ": ", reason);
        alerts.accept(AuditEvent.of("alert." + kind).principal(principal).source(source).reason(reason).build());
    }

    /** The host part of a source address as the audit log writes it ("/192.0.2.7:5000"). */
    static String host(String source) {
        if (source == null || source.isEmpty() || source.equals("null")) {
            return null;
        }
        String s = source.startsWith("/") ? source.substring(1) : source;
        int colon = s.lastIndexOf(':');
        return colon > 0 ? s.substring(0, colon) : s;
    }

    static String host(SocketAddress address) {
        return address instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : null;
    }

    private static <V> V bounded(Map<String, V> map, String key, java.util.function.Function<String, V> create) {
        V v = map.get(key);
        if (v != null) {
            return v;
        }
        if (map.size() >= MAX_KEYS) {
            map.clear();
        }
        return map.computeIfAbsent(key, create);
    }

    /** Events per key within a sliding window: true when a key reaches the threshold. */
    private static final class Bursts {
        private final int threshold;
        private final long windowMillis;
        private final Map<String, ArrayDeque<Long>> times = new LinkedHashMap<>();

        Bursts(int threshold, long windowMillis) {
            this.threshold = threshold;
            this.windowMillis = windowMillis;
        }

        synchronized boolean hit(String key, long now) {
            if (threshold <= 0) {
                return false;
            }
            ArrayDeque<Long> q = times.get(key);
            if (q == null) {
                if (times.size() >= MAX_KEYS) {
                    Iterator<String> oldest = times.keySet().iterator();
                    oldest.next();
                    oldest.remove();
                }
                q = new ArrayDeque<>();
                times.put(key, q);
            }
            while (!q.isEmpty() && now - q.peekFirst() >= windowMillis) {
                q.pollFirst();
            }
            q.addLast(now);
            if (q.size() > threshold) {
                q.pollFirst();
            }
            return q.size() >= threshold;
        }
    }

    /** A principal's message rate: 10 s buckets against an exponentially weighted baseline of earlier ones. */
    private static final class Rate {
        long bucketStart;
        long count;
        double baseline;
        int buckets;

        /** Adds messages; describes the surge when the bucket just closed surged, else null. */
        String add(long now, int messages, int factor, int minimumPerSecond) {
            if (bucketStart == 0) {
                bucketStart = now;
            }
            String surge = null;
            if (now - bucketStart >= BUCKET_MILLIS) {
                double perSecond = count * 1000.0 / (now - bucketStart);
                if (buckets >= BASELINE_BUCKETS && perSecond >= minimumPerSecond && perSecond > factor * baseline) {
                    surge = String.format("%.0f messages/s, over %d times the principal's recent rate of %.0f/s",
                            perSecond, factor, baseline);
                }
                baseline = buckets == 0 ? perSecond : 0.8 * baseline + 0.2 * perSecond;
                buckets++;
                bucketStart = now;
                count = 0;
            }
            count += messages;
            return surge;
        }
    }
}
