package org.securebroker.store;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.securebroker.store.crypto.KeyringFile;

/**
 * The child process of {@link CrashTest}: appends from several threads until it is killed, and
 * prints a line for every acknowledgement it received ("A offset payload") and every durable
 * subscription ack ("S offset"). Lines are printed only after the future completed.
 */
public final class CrashWorker {

    static final int SEGMENT_BYTES = 64 * 1024;

    private CrashWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String run = args[1];
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        Store store = Store.open(StoreConfig.builder(dir, Clock.systemUTC(), new SecureRandom()).segmentBytes(SEGMENT_BYTES).build(),
                KeyringFile.fromEnvironment(KeyringFile.DEFAULT_ENV_VARIABLE, System.getenv()));
        Log log = store.log("crash").orElseGet(() -> store.createLog("crash"));
        log.subscriptions().create("s", 0).join();
        synchronized (out) {
            out.println("READY " + log.endOffset());
            out.flush();
        }
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            Thread th = new Thread(() -> appendForever(log, run, thread, out));
            th.setDaemon(true);
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
    }

    private static void appendForever(Log log, String run, int thread, PrintStream out) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int seq = 0; ; seq++) {
            int batch = 1 + random.nextInt(4);
            List<ByteBuffer> records = new ArrayList<>();
            List<String> payloads = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                String payload = "run-" + run + "-t" + thread + "-" + seq + "-" + i + "-" + "x".repeat(random.nextInt(300));
                payloads.add(payload);
                records.add(ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8)));
            }
            AppendResult r = log.append(records).join();
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < batch; i++) {
                lines.append("A ").append(r.firstOffset() + i).append(' ').append(payloads.get(i)).append('\n');
            }
            synchronized (out) {
                out.print(lines);
                out.flush();
            }
            long acked = r.firstOffset() + random.nextInt(batch);
            log.subscriptions().ack("s", acked).thenRun(() -> {
                synchronized (out) {
                    out.println("S " + acked);
                    out.flush();
                }
            });
        }
    }

    /** The environment a child needs: the keyring. */
    static Map<String, String> environment(String keyringText) {
        return Map.of(KeyringFile.DEFAULT_ENV_VARIABLE, keyringText);
    }
}
