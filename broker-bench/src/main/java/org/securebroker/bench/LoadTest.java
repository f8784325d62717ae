package org.securebroker.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;
import org.HdrHistogram.Recorder;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerClientBuilder;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.SendBufferPolicy;
import org.securebroker.client.SubscribeOptions;

/**
 * End-to-end load against a running broker with everything on (TLS, authentication,
 * fsync-before-ack, encrypted store): P producers and C competing consumers on one subscription,
 * S-byte messages. After the run it checks that every acknowledged message arrived exactly once
 * (count, per-producer sequence sets and a CRC32 sum of the payloads) and reports messages/s, MB/s
 * and end-to-end latency percentiles (HdrHistogram, send call to consumer callback).
 *
 * <pre>
 * java -cp broker-bench/target/broker-bench.jar org.securebroker.bench.LoadTest \
 *     --server 127.0.0.1:7443 --ca data/tls/ca.crt --password-file data/secrets/admin.password \
 *     [--user admin] [--producers 1] [--consumers 1] [--size 1024] [--warmup 5] [--seconds 20] \
 *     [--in-flight 4096] [--prefetch 2000] [--rate MSGS_PER_SECOND] \
 *     [--broker-keys data/tls/signing-keys.pem | --broker-keys none]
 * </pre>
 *
 * With broker keys (the default), every delivery is verified against them before the handler
 * sees it, as applications do; receipts are received and kept, not verified (that is opt-in in
 * the client, {@code verifyReceipts()}). {@code none} turns verification off, for a broker that
 * does not sign ({@code integrity.disabledForBenchmarks}).
 */
public final class LoadTest {

    private static final int HEADER = 4 + 8 + 8;

    private final String host;
    private final int port;
    private final Path ca;
    private final String user;
    private final char[] password;
    private final Path brokerKeys;

    private final LongAdder received = new LongAdder();
    private final LongAdder receivedChecksum = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final Recorder latency = new Recorder(3);
    private final AtomicBoolean measuring = new AtomicBoolean();
    private BitSet[] seen;

    private LoadTest(String host, int port, Path ca, String user, char[] password, Path brokerKeys) {
        this.brokerKeys = brokerKeys;
        this.host = host;
        this.port = port;
        this.ca = ca;
        this.user = user;
        this.password = password;
    }

    public static void main(String[] args) throws Exception {
        String server = "127.0.0.1:7443";
        Path ca = Path.of("data/tls/ca.crt");
        Path passwordFile = Path.of("data/secrets/admin.password");
        String user = "admin";
        int producers = 1;
        int consumers = 1;
        int size = 1024;
        int warmup = 5;
        int seconds = 20;
        int inFlight = 4096;
        int prefetch = 2000;
        int rate = 0;
        String brokerKeys = "data/tls/signing-keys.pem";
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--server" -> server = v;
                case "--ca" -> ca = Path.of(v);
                case "--password-file" -> passwordFile = Path.of(v);
                case "--user" -> user = v;
                case "--producers" -> producers = Integer.parseInt(v);
                case "--consumers" -> consumers = Integer.parseInt(v);
                case "--size" -> size = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--seconds" -> seconds = Integer.parseInt(v);
                case "--in-flight" -> inFlight = Integer.parseInt(v);
                case "--prefetch" -> prefetch = Integer.parseInt(v);
                case "--rate" -> rate = Integer.parseInt(v);
                case "--broker-keys" -> brokerKeys = v;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; options: --server --ca "
                        + "--password-file --user --producers --consumers --size --warmup --seconds --in-flight --prefetch "
                        + "--rate --broker-keys");
            }
        }
        if (size < HEADER) {
            throw new IllegalArgumentException("--size must be at least " + HEADER);
        }
        int colon = server.lastIndexOf(':');
        char[] password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
        LoadTest test = new LoadTest(server.substring(0, colon), Integer.parseInt(server.substring(colon + 1)), ca, user,
                password, brokerKeys.equals("none") ? null : Path.of(brokerKeys));
        boolean ok = test.run(producers, consumers, size, warmup, seconds, inFlight, prefetch, rate);
        System.exit(ok ? 0 : 1);
    }

    private BrokerClient connect(String clientId, int maxInFlight) {
        BrokerClientBuilder builder = BrokerClient.builder().address(host, port).trustedCertificates(ca)
                .credentials(user, password.clone()).clientId(clientId).maxInFlightSends(maxInFlight)
                .whenSendBufferFull(SendBufferPolicy.block(Duration.ofMinutes(1)))
                .requestTimeout(Duration.ofMinutes(2));
        if (brokerKeys == null) {
            builder.withoutSignatureVerification();
        } else {
            builder.brokerSigningKeys(brokerKeys);
        }
        return builder.connect();
    }

    private boolean run(int producers, int consumers, int size, int warmup, int seconds, int inFlight, int prefetch,
                        int rate) throws Exception {
        String queue = "load-" + System.currentTimeMillis();
        seen = new BitSet[producers];
        for (int p = 0; p < producers; p++) {
            seen[p] = new BitSet();
        }
        List<BrokerClient> clients = new ArrayList<>();
        try {
            BrokerClient admin = connect("load-admin", 16);
            clients.add(admin);
            admin.createQueue(QueueSpec.named(queue));
            for (int c = 0; c < consumers; c++) {
                BrokerClient client = connect("load-consumer-" + c, 16);
                clients.add(client);
                client.subscribe(queue, "load", SubscribeOptions.builder().prefetch(prefetch).build(), m -> {
                    ByteBuffer payload = m.payloadBuffer();
                    int producer = payload.getInt(0);
                    long sequence = payload.getLong(4);
                    long sentNanos = payload.getLong(12);
                    if (measuring.get()) {
                        latency.recordValue(Math.max(0, System.nanoTime() - sentNanos));
                    }
                    boolean fresh;
                    synchronized (seen[producer]) {
                        fresh = !seen[producer].get((int) sequence);
                        seen[producer].set((int) sequence);
                    }
                    if (fresh) {
                        CRC32 crc = new CRC32();
                        crc.update(payload.duplicate());
                        receivedChecksum.add(crc.getValue());
                        received.increment();
                    } else {
                        duplicates.increment();
                    }
                    m.ack();
                });
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong acked = new AtomicLong();
            LongAdder sentChecksum = new LongAdder();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                BrokerClient client = connect("load-producer-" + p, inFlight);
                clients.add(client);
                int producer = p;
                long intervalNanos = rate > 0 ? 1_000_000_000L * producers / rate : 0;
                Thread t = new Thread(() -> produce(client, queue, producer, size, intervalNanos, stop, acked, sentChecksum,
                        failures), "producer-" + p);
                threads.add(t);
                t.start();
            }
            System.out.printf(Locale.ROOT, "load: %d producer(s), %d consumer(s), %d-byte messages, %s, queue %s, "
                    + "%ds warm-up + %ds measured%n", producers, consumers, size,
                    rate > 0 ? "offered " + rate + " msgs/s" : "as fast as acknowledgements allow", queue, warmup, seconds);
            Thread.sleep(warmup * 1000L);
            latency.reset();
            long startCount = received.sum();
            long startAcked = acked.get();
            long start = System.nanoTime();
            measuring.set(true);
            Thread.sleep(seconds * 1000L);
            measuring.set(false);
            long measured = received.sum() - startCount;
            long published = acked.get() - startAcked;
            double elapsed = (System.nanoTime() - start) / 1e9;
            var histogram = latency.getIntervalHistogram();
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            long deadline = System.currentTimeMillis() + 120_000;
            while (received.sum() < acked.get() && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(500);
            double throughput = measured / elapsed;
            System.out.printf(Locale.ROOT, "throughput: %,.0f msgs/s, %.1f MB/s delivered and acknowledged; "
                    + "%,.0f msgs/s published (acknowledged by the broker) in the measured window%n",
                    throughput, throughput * size / 1e6, published / elapsed);
            System.out.printf(Locale.ROOT, "latency (send call to consumer callback): p50 %.2f ms, p99 %.2f ms, "
                    + "p99.9 %.2f ms, max %.2f ms%n", histogram.getValueAtPercentile(50) / 1e6,
                    histogram.getValueAtPercentile(99) / 1e6, histogram.getValueAtPercentile(99.9) / 1e6,
                    histogram.getMaxValue() / 1e6);
            boolean exactlyOnce = received.sum() == acked.get() && duplicates.sum() == 0
                    && receivedChecksum.sum() == sentChecksum.sum() && failures.isEmpty();
            System.out.printf(Locale.ROOT, "verification: %,d acknowledged sends, %,d received once, %,d duplicates, "
                    + "checksums %s%s -> %s%n", acked.get(), received.sum(), duplicates.sum(),
                    receivedChecksum.sum() == sentChecksum.sum() ? "equal" : "DIFFER",
                    failures.isEmpty() ? "" : ", " + failures.size() + " send failures (first: " + failures.get(0) + ")",
                    exactlyOnce ? "every message arrived exactly once" : "FAILED");
            admin.deleteQueue(queue);
            return exactlyOnce;
        } finally {
            for (BrokerClient c : clients) {
                c.close();
            }
        }
    }

    private void produce(BrokerClient client, String queue, int producer, int size, long intervalNanos, AtomicBoolean stop,
                         AtomicLong acked, LongAdder sentChecksum, List<Throwable> failures) {
        byte[] filler = new byte[size];
        new Random(producer).nextBytes(filler);
        List<CompletableFuture<?>> last = new ArrayList<>();
        long due = System.nanoTime();
        for (long sequence = 0; !stop.get(); sequence++) {
            if (intervalNanos > 0) {
                // pace at the offered rate; time lost while blocked is not made up in a burst
                long now = System.nanoTime();
                due = Math.max(due + intervalNanos, now - 10_000_000L);
                if (due > now) {
                    java.util.concurrent.locks.LockSupport.parkNanos(due - now);
                }
            }
            byte[] payload = filler.clone();
            ByteBuffer.wrap(payload).putInt(producer).putLong(sequence).putLong(System.nanoTime());
            CRC32 crc = new CRC32();
            crc.update(payload);
            long value = crc.getValue();
            CompletableFuture<?> f = client.sendAsync(queue, Message.of(payload)).whenComplete((r, e) -> {
                if (e == null) {
                    acked.incrementAndGet();
                    sentChecksum.add(value);
                } else {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            if (last.size() == 1024) {
                last.clear();
            }
            last.add(f);
        }
        CompletableFuture.allOf(last.toArray(CompletableFuture[]::new)).handle((v, e) -> null).join();
        try {
            TimeUnit.MILLISECONDS.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
