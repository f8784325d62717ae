package org.securebroker.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.securebroker.store.crypto.Kek;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.record.StoredRecord;

/** Shared helpers for store tests. */
public final class TestStores {

    private static final SecureRandom RANDOM = new SecureRandom();

    private TestStores() {
    }

    public static Kek randomKek(String id) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Kek.of(id, bytes);
    }

    public static Keyring keyring() {
        return Keyring.of(randomKek("kek-test"));
    }

    public static StoreConfig.Builder config(Path dir) {
        return StoreConfig.builder(dir, Clock.systemUTC(), new SecureRandom()).subscriptionSyncInterval(Duration.ofMillis(1));
    }

    public static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    public static String text(StoredRecord r) {
        return new String(r.payload(), StandardCharsets.UTF_8);
    }

    public static List<Path> segmentFiles(Path storeDir, String log) throws IOException {
        try (Stream<Path> files = Files.list(storeDir.resolve("logs").resolve(log))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
    }

    /** Appends records "prefix-0" .. and waits for each ack. */
    public static void appendAll(Log log, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            log.append(utf8(prefix + "-" + i)).join();
        }
    }
}
