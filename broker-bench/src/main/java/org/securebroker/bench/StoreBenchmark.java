package org.securebroker.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.securebroker.store.Log;
import org.securebroker.store.Store;
import org.securebroker.store.StoreConfig;
import org.securebroker.store.StoreListener;
import org.securebroker.store.crypto.Kek;
import org.securebroker.store.crypto.Keyring;

/**
 * Appends fixed-size records with fsync-before-ack from 1, 8 and 64 concurrent appenders, to the
 * store and, in the same run and on the same disk, to {@link PlainGroupCommitLog} (the physical
 * limit), and prints records/s, MB/s and ack latency p50/p99 for each.
 *
 * <pre>
 * java -cp broker-bench/target/broker-bench.jar org.securebroker.bench.StoreBenchmark \
 *     [--dir DIR] [--size BYTES] [--threads 1,8,64] [--warmup SECONDS] [--seconds SECONDS]
 * </pre>
 */
public final class StoreBenchmark {

    private record Result(String name, int threads, long records, double seconds, Histogram latency, int size) {
        double recordsPerSecond() {
            return records / seconds;
        }

        double megabytesPerSecond() {
            return records * (double) size / seconds / 1_000_000.0;
        }
    }

    private StoreBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "store-bench");
        int size = 1024;
        int[] threads = {1, 8, 64};
        int warmup = 5;
        int seconds = 10;
        int repeats = 3;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--size" -> size = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = java.util.Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --dir --size --threads --warmup --seconds --repeats");
            }
        }
        Files.createDirectories(dir);
        System.out.printf(Locale.ROOT, "store benchmark: %d-byte records, fsync before ack, %ds warm-up + %ds per run, "
                + "best of %d alternating runs, dir %s%n", size, warmup, seconds, repeats, dir);
        List<Result> results = new ArrayList<>();
        byte[] kek = new byte[32];
        new SecureRandom().nextBytes(kek);
        for (int t : threads) {
            Result bestStore = null;
            Result bestPlain = null;
            for (int r = 0; r < repeats; r++) {
                Result s = runStore(dir, t, size, warmup, seconds, kek);
                Result p = runPlain(dir, t, size, warmup, seconds);
                bestStore = bestStore == null || s.recordsPerSecond() > bestStore.recordsPerSecond() ? s : bestStore;
                bestPlain = bestPlain == null || p.recordsPerSecond() > bestPlain.recordsPerSecond() ? p : bestPlain;
            }
            results.add(bestStore);
            results.add(bestPlain);
        }
        System.out.println();
        System.out.println("| appenders | target | records/s | MB/s | p50 ack (ms) | p99 ack (ms) | store / plain |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|");
        for (int i = 0; i < results.size(); i += 2) {
            Result s = results.get(i);
            Result p = results.get(i + 1);
            for (int row = 0; row < 2; row++) {
                Result r = row == 0 ? s : p;
                System.out.printf(Locale.ROOT, "| %d | %s | %,.0f | %.1f | %.2f | %.2f | %s |%n", r.threads(), r.name(),
                        r.recordsPerSecond(), r.megabytesPerSecond(), r.latency().getValueAtPercentile(50) / 1e6,
                        r.latency().getValueAtPercentile(99) / 1e6,
                        row == 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * s.recordsPerSecond() / p.recordsPerSecond()) : "");
            }
        }
    }

    private static Result runStore(Path dir, int threads, int size, int warmup, int seconds, byte[] kek) throws Exception {
        Path storeDir = dir.resolve("store-" + threads);
        deleteTree(storeDir);
        long[] commits = new long[3];
        StoreListener listener = new StoreListener() {
            @Override
            public synchronized void onCommit(int records, long bytes, int files, long nanos) {
                commits[0]++;
                commits[1] += records;
                commits[2] += nanos;
            }
        };
        Result result;
        try (Store store = Store.open(StoreConfig.builder(storeDir, Clock.systemUTC(), new SecureRandom()).listener(listener).build(), Keyring.of(Kek.of("bench", kek)))) {
            Log log = store.createLog("bench");
            result = run("store", threads, size, warmup, seconds, log::append);
        }
        synchronized (listener) {
            System.out.printf(Locale.ROOT, "    %,d group commits, %.1f records and %.3f ms of write+fdatasync per commit%n",
                    commits[0], commits[1] / (double) commits[0], commits[2] / 1e6 / commits[0]);
        }
        deleteTree(storeDir);
        return result;
    }

    private static Result runPlain(Path dir, int threads, int size, int warmup, int seconds) throws Exception {
        Path plainFile = dir.resolve("plain-" + threads + ".log");
        Result result;
        try (PlainGroupCommitLog plain = new PlainGroupCommitLog(plainFile, 8 * 1024 * 1024)) {
            result = run("plain FileChannel", threads, size, warmup, seconds, plain::append);
        }
        Files.deleteIfExists(plainFile);
        return result;
    }

    private static Result run(String name, int threads, int size, int warmup, int seconds,
                              Function<ByteBuffer, CompletableFuture<?>> append) throws Exception {
        Recorder recorder = new Recorder(3);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean measuring = new AtomicBoolean();
        long[] counts = new long[threads];
        CountDownLatch done = new CountDownLatch(threads);
        byte[] payload = new byte[size];
        new SecureRandom().nextBytes(payload);
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread thread = new Thread(() -> {
                ByteBuffer record = ByteBuffer.wrap(payload);
                while (!stop.get()) {
                    long start = System.nanoTime();
                    append.apply(record.duplicate()).join();
                    if (measuring.get()) {
                        recorder.recordValue(System.nanoTime() - start);
                        counts[index]++;
                    }
                }
                done.countDown();
            }, "appender-" + t);
            thread.start();
        }
        Thread.sleep(warmup * 1000L);
        recorder.reset();
        measuring.set(true);
        long started = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        measuring.set(false);
        double elapsed = (System.nanoTime() - started) / 1e9;
        Histogram latency = recorder.getIntervalHistogram();
        stop.set(true);
        done.await();
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        Result r = new Result(name, threads, total, elapsed, latency, size);
        System.out.printf(Locale.ROOT, "%-18s %3d appenders: %,10.0f records/s %7.1f MB/s  p50 %.2f ms  p99 %.2f ms%n", name,
                threads, r.recordsPerSecond(), r.megabytesPerSecond(), latency.getValueAtPercentile(50) / 1e6,
                latency.getValueAtPercentile(99) / 1e6);
        return r;
    }

    private static void deleteTree(Path root) throws Exception {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
