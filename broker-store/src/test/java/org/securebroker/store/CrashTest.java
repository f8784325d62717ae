package org.securebroker.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.crypto.DataKey;
import org.securebroker.store.crypto.KeyWrapper;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.crypto.WrappedDataKey;
import org.securebroker.store.record.StoredRecord;
import org.securebroker.store.segment.RecordFormat;
import org.securebroker.store.segment.Segment;
import org.securebroker.store.segment.SegmentHeader;

/**
 * Kills a child JVM that appends with acks (SIGKILL, at random moments) again and again, and
 * checks after each restart that every acknowledged record is there, offsets have no gaps or
 * duplicates, durable subscription acks survived, and that no (data key, nonce) pair was ever
 * used for two different ciphertexts across everything the child ever wrote.
 */
class CrashTest {

    private static final int KILLS = 22;

    @TempDir
    Path dir;

    /** Every offset ever seen on disk, to the segment key and ciphertext that first held it. */
    private final Map<Long, String> offsetOwners = new HashMap<>();
    private final Set<Long> offsetsReused = new java.util.TreeSet<>();

    /** (key fingerprint, nonce) to the first 32 bytes of the ciphertext ever seen under it. */
    private final Map<String, byte[]> noncesSeen = new HashMap<>();

    @Test
    void shouldKeepEveryAcknowledgedRecordAcrossRepeatedSigkills() throws Exception {
        byte[] kekBytes = new byte[32];
        new SecureRandom().nextBytes(kekBytes);
        String keyringText = "current = crash-kek\ncrash-kek = " + Base64.getEncoder().encodeToString(kekBytes) + "\n";
        Keyring keyring = KeyringFile.fromEnvironment("K", Map.of("K", keyringText));
        Path storeDir = dir.resolve("store");
        Map<Long, String> acked = new HashMap<>();
        Set<Long> subscriptionAcks = new HashSet<>();
        Random random = new Random();
        long tornTails = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            List<String> lines = runAndKill(storeDir, keyringText, "r" + kill, 50 + random.nextInt(400));
            assertThat(lines.get(0)).startsWith("READY");
            for (String line : lines) {
                if (line.startsWith("A ")) {
                    int space = line.indexOf(' ', 2);
                    String previous = acked.put(Long.parseLong(line.substring(2, space)), line.substring(space + 1));
                    assertThat(previous).as("offset acknowledged twice: " + line).isNull();
                } else if (line.startsWith("S ")) {
                    subscriptionAcks.add(Long.parseLong(line.substring(2)));
                }
            }
            recordNonces(storeDir, keyring);
            try (Store store = Store.open(StoreConfig.builder(storeDir, Clock.systemUTC(), new SecureRandom()).segmentBytes(CrashWorker.SEGMENT_BYTES).build(), keyring)) {
                assertThat(store.unavailableLogs()).as("a crash never makes a log unavailable").isEmpty();
                RecoveryReport.LogReport report = store.recoveryReport().log("crash");
                assertThat(report.quarantined()).as("a crash must not look like corruption").isEmpty();
                tornTails += report.truncatedBytes() > 0 ? 1 : 0;
                Log log = store.requireLog("crash");
                long from = 0;
                long previous = -1;
                Set<Long> present = new HashSet<>();
                while (from < log.endOffset()) {
                    List<StoredRecord> records = log.read(from, 5000, 8 << 20);
                    if (records.isEmpty()) {
                        break; // the rest was skipped after the kill: reserved, never durable
                    }
                    for (StoredRecord r : records) {
                        assertThat(r.offset()).as("offsets only increase").isGreaterThan(previous);
                        previous = r.offset();
                        present.add(r.offset());
                        String payload = acked.get(r.offset());
                        if (payload != null) {
                            assertThat(TestStores.text(r)).isEqualTo(payload);
                        }
                    }
                    from = previous + 1;
                }
                for (long offset : acked.keySet()) {
                    assertThat(present).as("acknowledged offset %d is served", offset).contains(offset);
                }
                for (long offset : acked.keySet()) {
                    assertThat(offset).as("acknowledged offset %d is below the end", offset).isLessThan(log.endOffset());
                }
                for (long offset : subscriptionAcks) {
                    assertThat(log.subscriptions().isAcked("s", offset)).as("durable ack of %d", offset).isTrue();
                }
            }
        }
        assertThat(offsetsReused).as("offsets that held two different records across restarts").isEmpty();
        assertThat(acked.size()).as("acknowledged records over all runs").isGreaterThan(KILLS * 10);
        System.out.printf("crash test: %d kills, %d acknowledged records, %d torn tails truncated, %d nonces checked, "
                + "%d offsets seen on disk, 0 reused%n", KILLS, acked.size(), tornTails, noncesSeen.size(), offsetOwners.size());
    }

    private List<String> runAndKill(Path storeDir, String keyringText, String run, long killAfterMillis) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx256m", CrashWorker.class.getName(), storeDir.toString(), run);
        pb.environment().putAll(CrashWorker.environment(keyringText));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = pb.start();
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            // only lines ended by a newline count: the kill may cut the last one short
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            try (java.io.InputStream in = new java.io.BufferedInputStream(process.getInputStream())) {
                int b;
                while ((b = in.read()) >= 0) {
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    synchronized (lines) {
                        lines.add(line.toString(StandardCharsets.UTF_8));
                        lines.notifyAll();
                    }
                    line.reset();
                }
            } catch (IOException ignored) {
                // the process was killed
            }
        });
        reader.start();
        long deadline = System.currentTimeMillis() + 30_000;
        synchronized (lines) {
            while (lines.isEmpty() && System.currentTimeMillis() < deadline && process.isAlive()) {
                lines.wait(100);
            }
        }
        // unavoidable: the child must be killed at a random moment of real time while it writes,
        // which is what the test is about (no clock of ours runs inside the child's fsyncs)
        Thread.sleep(killAfterMillis);
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(10_000);
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    /** Scans every segment below the encryption and checks that no (key, nonce) pair was reused. */
    private void recordNonces(Path storeDir, Keyring keyring) throws Exception {
        Path logDir = storeDir.resolve("logs").resolve("crash");
        if (!Files.exists(logDir.resolve("log.meta"))) {
            return;
        }
        byte[] meta = Files.readAllBytes(logDir.resolve("log.meta"));
        byte[] logId = Arrays.copyOfRange(meta, 8, 24);
        Path keyFile = storeDir.resolve("keys").resolve(HexFormat.of().formatHex(logId) + ".dek");
        Map<Long, String> fingerprints = new HashMap<>();
        KeyWrapper wrapper = new KeyWrapper(new SecureRandom());
        for (WrappedDataKey w : LogManifest.read(keyFile, logId, "crash", keyring).keys()) {
            DataKey key = wrapper.unwrap(keyring, w, logId, "test");
            fingerprints.put(w.segmentBase(), HexFormat.of().formatHex(key.fingerprint()));
        }
        try (var files = Files.list(logDir)) {
            for (Path file : files.filter(p -> Segment.parseFileName(p.getFileName().toString()) >= 0).toList()) {
                String fingerprint = fingerprints.get(Segment.parseFileName(file.getFileName().toString()));
                if (fingerprint == null) {
                    continue; // a segment whose creation was cut short: no key, no record
                }
                ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
                int p = SegmentHeader.BYTES;
                while (p + RecordFormat.HEADER_BYTES <= buf.limit()) {
                    RecordFormat.Header h = RecordFormat.parseHeader(buf, p, Integer.MAX_VALUE);
                    if (h == null) {
                        break;
                    }
                    if (!h.isEndMarker()) {
                        int available = Math.min(h.length(), buf.limit() - p) - RecordFormat.HEADER_BYTES;
                        byte[] prefix = new byte[Math.min(32, Math.max(0, available))];
                        buf.get(p + RecordFormat.HEADER_BYTES, prefix);
                        String pair = fingerprint + "/" + h.keyId() + "/" + h.offset();
                        // an offset, once on disk (acknowledged, or in a torn tail), never holds
                        // another record: not after a restart, not in another segment
                        String owner = fingerprint + "/" + HexFormat.of().formatHex(prefix, 0, Math.min(8, prefix.length));
                        String before0 = offsetOwners.putIfAbsent(h.offset(), owner);
                        if (before0 != null && !before0.equals(owner)
                                && !(before0.startsWith(fingerprint) && (owner.startsWith(before0) || before0.startsWith(owner)))) {
                            offsetsReused.add(h.offset());
                        }
                        byte[] before = noncesSeen.putIfAbsent(pair, prefix);
                        if (before != null) {
                            int common = Math.min(before.length, prefix.length);
                            assertThat(Arrays.copyOf(prefix, common)).as("(key, nonce) %s reused for another ciphertext", pair)
                                    .isEqualTo(Arrays.copyOf(before, common));
                            if (prefix.length > before.length) {
                                noncesSeen.put(pair, prefix);
                            }
                        }
                    }
                    p += h.length();
                }
            }
        }
    }
}
