package org.securebroker.server.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.securebroker.protocol.frame.QueueInfo;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.session.ConnectionListener;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.store.record.OffsetRange;
import org.securebroker.store.Store;
import org.securebroker.store.StoreHealth;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.StoreListener;

/**
 * The broker's metrics in Prometheus form (Micrometer), named {@code securebroker_*} after
 * Prometheus conventions (counters end in {@code _total}, times are in seconds, sizes in bytes).
 *
 * <p>What it counts comes from three seams: the audit events the broker records (logins by
 * mechanism and outcome, TLS handshake failures, authorization denials, alerts), the front end
 * (frames rejected as malformed), and the store (group-commit fsync time). What it reads on each
 * scrape: connections, the queue engine's counters, queue depth and unsettled deliveries, store
 * size, audit entries written, and seconds until each certificate expires. Besides, the JVM's own
 * metrics (Micrometer's binders): heap and non-heap memory by pool, garbage collection pauses
 * and promoted bytes, threads by state, loaded classes, process uptime and CPU. Every series has
 * a HELP text. Per-queue series are
 * off unless asked for, so the number of series does not grow with the number of queues.
 *
 * <p>A scrape runs on the admin listener's event loop, so nothing it reads may wait: every gauge
 * reads a value its owner keeps up to date (unsettled deliveries are each queue's count as of the
 * last time its thread ran out of work), never a value computed on another thread on demand.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class BrokerMetrics implements ConnectionListener, AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer commits;
    private final Timer signing;
    private final Counter rejectedFrames;
    private final Clock clock;
    /** Listens to the JVM's garbage collection notifications until {@link #close()}. */
    private final JvmGcMetrics jvmGc = new JvmGcMetrics();
    private volatile MultiGauge perQueue;
    private volatile QueueEngine engine;
    /** Micrometer holds the objects behind gauges weakly; these are held here so they live as long as the metrics. */
    private final List<Object> held = new java.util.concurrent.CopyOnWriteArrayList<>();

    public BrokerMetrics(Clock clock) {
        this.clock = clock;
        new JvmMemoryMetrics().bindTo(registry);
        jvmGc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        this.commits = Timer.builder("securebroker.store.fsync")
                .description("Group commits of the store: writing and fdatasyncing a batch of records")
                .publishPercentileHistogram()
                .register(registry);
        this.signing = Timer.builder("securebroker.signing")
                .description("Signing what one group commit stores to a queue: Merkle trees and one Ed25519 signature per tree")
                .publishPercentileHistogram()
                .register(registry);
        this.rejectedFrames = Counter.builder("securebroker.frames.rejected")
                .description("Frames rejected as malformed, oversized or out of place; the connection is closed")
                .register(registry);
    }

    /** Records how long signing one group commit's messages to a queue took. */
    public void signed(long nanos) {
        signing.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Counts a limit the broker enforced (a refusal, a closed connection, a slowed producer). */
    public void limitRefused(String limit) {
        Counter.builder("securebroker.limit.refusals").tag("limit", limit)
                .description("Requests refused, connections closed and producers slowed by a limit or quota")
                .register(registry).increment();
    }

    /** Counts what the broker records: hand it every audit event. */
    public void observe(AuditEvent event) {
        String type = event.type();
        if (type.equals("auth.success") || type.equals("auth.failure")) {
            String mechanism = event.mechanism() == null ? "none" : event.mechanism();
            if (type.equals("auth.failure") && "TLS".equals(mechanism)) {
                Counter.builder("securebroker.tls.handshake.failures")
                        .description("TLS handshakes that failed, refused client certificates included")
                        .register(registry).increment();
                return;
            }
            Counter.builder("securebroker.authentications")
                    .tags("mechanism", mechanism, "outcome", type.equals("auth.success") ? "success" : "failure")
                    .description("Authentication attempts by mechanism and outcome")
                    .register(registry).increment();
        } else if (type.equals("authz.deny")) {
            Counter.builder("securebroker.authorization.denials")
                    .tag("action", event.action() == null ? "none" : event.action())
                    .description("Requests the authorization policy denied, by action")
                    .register(registry).increment();
        } else if (type.startsWith("alert.")) {
            Counter.builder("securebroker.alerts").tag("alert", type.substring("alert.".length()))
                    .description("Alerts raised by the anomaly detector, by kind")
                    .register(registry).increment();
        }
    }

    @Override
    public void protocolError(Channel channel, String reason) {
        rejectedFrames.increment();
    }

    /** A store listener that times group commits and passes every event on to {@code next}. */
    public StoreListener storeListener(StoreListener next) {
        return new StoreListener() {
            @Override
            public void onQuarantine(String log, Path segment, OffsetRange offsets, String reason) {
                next.onQuarantine(log, segment, offsets, reason);
            }

            @Override
            public void onFailure(StoreException failure) {
                next.onFailure(failure);
            }

            @Override
            public void onHealth(StoreHealth health) {
                next.onHealth(health);
            }

            @Override
            public void onSegmentsDeleted(String log, int segments, long newStartOffset) {
                next.onSegmentsDeleted(log, segments, newStartOffset);
            }

            @Override
            public void onCommit(int records, long bytes, int files, long nanos) {
                commits.record(nanos, TimeUnit.NANOSECONDS);
                next.onCommit(records, bytes, files, nanos);
            }
        };
    }

    /**
     * Registers what is read on each scrape.
     *
     * @param connections open client connections
     * @param auditEntries the audit log's last sequence number (0 without an audit log)
     * @param certificates the certificates whose expiry to watch, by name (server, client CA)
     * @param perQueueSeries one depth series per queue, besides the totals
     */
    public void bind(LongSupplier connections, QueueEngine engine, Store store, LongSupplier auditEntries,
                     Supplier<Map<String, X509Certificate>> certificates, boolean perQueueSeries) {
        this.engine = engine;
        held.addAll(List.of(connections, engine, store, auditEntries, certificates));
        Gauge.builder("securebroker.connections", connections, s -> s.getAsLong())
                .description("Open client connections").register(registry);
        engineCounter("securebroker.messages.published", "Messages stored (acknowledged to producers)", "published",
                engine);
        engineCounter("securebroker.published.payload", "Payload bytes of stored messages", "published-bytes", engine,
                "bytes");
        engineCounter("securebroker.messages.delivered", "Deliveries to consumers, redeliveries included", "delivered",
                engine);
        engineCounter("securebroker.delivered.payload", "Payload bytes delivered to consumers", "delivered-bytes", engine,
                "bytes");
        engineCounter("securebroker.messages.redelivered", "Deliveries of a message delivered before", "redelivered",
                engine);
        FunctionCounter.builder("securebroker.messages.deadlettered", engine, e -> prefixed(e, "dead-lettered:"))
                .description("Messages moved to a dead-letter queue").register(registry);
        Gauge.builder("securebroker.queue.depth", engine, e -> sum(e.listQueues(), QueueInfo::messages))
                .description("Messages not yet acknowledged by every subscription, all queues").register(registry);
        Gauge.builder("securebroker.messages.unacknowledged", engine, QueueEngine::unacknowledged)
                .description("Deliveries waiting for an ack or nack, all queues").register(registry);
        Gauge.builder("securebroker.queues", engine, e -> e.listQueues().size())
                .description("Queues").register(registry);
        Gauge.builder("securebroker.store.size", store, s -> storeTotal(s, true)).baseUnit("bytes")
                .description("Bytes of the store's segments").register(registry);
        Gauge.builder("securebroker.store.segments", store, s -> storeTotal(s, false))
                .description("Segment files of the store").register(registry);
        Gauge.builder("securebroker.store.writable", store, s -> s.health() == StoreHealth.WRITABLE ? 1 : 0)
                .description("1 while the store accepts writes; 0 while its disk is full (clears by itself) or after "
                        + "a failure (until restart)").register(registry);
        FunctionCounter.builder("securebroker.store.full.refusals", engine, QueueEngine::storeFullRefusals)
                .description("Writes (publishes, queue creations, dead letters, subscriptions) refused with STORE_FULL "
                        + "because the disk was full").register(registry);
        Gauge.builder("securebroker.queues.unavailable", engine, e -> e.unavailableQueues().size())
                .description("Queues that refuse every request until an operator repairs them (QUEUE_UNAVAILABLE)")
                .register(registry);
        FunctionCounter.builder("securebroker.audit.entries", auditEntries, s -> s.getAsLong())
                .description("Entries written to the audit log, checkpoints included").register(registry);
        for (String name : certificates.get().keySet()) {
            Gauge.builder("securebroker.certificate.expiry", certificates, c -> secondsLeft(c.get().get(name)))
                    .tag("certificate", name).baseUnit("seconds")
                    .description("Seconds until the certificate expires (negative once expired)").register(registry);
        }
        if (perQueueSeries) {
            perQueue = MultiGauge.builder("securebroker.queue.messages")
                    .description("Messages not yet acknowledged by every subscription, per queue").register(registry);
        }
    }

    /** The metrics in the Prometheus text format. */
    public String scrape() {
        MultiGauge q = perQueue;
        QueueEngine e = engine;
        if (q != null && e != null) {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            for (QueueInfo info : e.listQueues()) {
                rows.add(MultiGauge.Row.of(Tags.of("queue", info.name()), info.messages()));
            }
            q.register(rows, true);
        }
        return registry.scrape();
    }

    private void engineCounter(String name, String description, String key, QueueEngine engine) {
        engineCounter(name, description, key, engine, null);
    }

    private void engineCounter(String name, String description, String key, QueueEngine engine, String unit) {
        FunctionCounter.builder(name, engine, e -> e.counters().getOrDefault(key, 0L)).description(description)
                .baseUnit(unit).register(registry);
    }

    private static double prefixed(QueueEngine engine, String prefix) {
        long total = 0;
        for (Map.Entry<String, Long> c : engine.counters().entrySet()) {
            if (c.getKey().startsWith(prefix)) {
                total += c.getValue();
            }
        }
        return total;
    }

    private static <T> double sum(List<T> items, ToLongFunction<T> value) {
        long total = 0;
        for (T item : items) {
            total += value.applyAsLong(item);
        }
        return total;
    }

    private static double storeTotal(Store store, boolean bytes) {
        long total = 0;
        for (String name : store.logNames()) {
            total += store.log(name).map(l -> bytes ? l.sizeBytes() : l.segmentCount()).orElse(0L).longValue();
        }
        return total;
    }

    /** Stops listening to garbage collection notifications. */
    @Override
    public void close() {
        jvmGc.close();
    }

    private double secondsLeft(X509Certificate certificate) {
        return certificate == null ? Double.NaN
                : (certificate.getNotAfter().toInstant().toEpochMilli() - clock.millis()) / 1000.0;
    }
}
