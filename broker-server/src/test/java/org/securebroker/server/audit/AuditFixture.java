package org.securebroker.server.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.protocol.integrity.VerifyingKey;

/** Keys, a controllable clock, and helpers to write and tamper with audit files. */
final class AuditFixture {

    static final SecureRandom RANDOM = new SecureRandom();

    private AuditFixture() {
    }

    /** A clock the test moves; the writer thread reads it. */
    static final class TestClock extends Clock {
        private volatile Instant now = Instant.parse("2026-11-27T12:00:00.000Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static SigningKey newKey() {
        return SigningKey.generate(RANDOM);
    }

    static VerifyingKey publicKey(SigningKey key) {
        return key.publicKey();
    }

    static AuditEvent event(int i) {
        return AuditEvent.of(i % 2 == 0 ? "auth.success" : "authz.deny").principal("user" + (i % 3))
                .source("192.0.2." + (i % 250) + ":5000").action("publish").resource("orders")
                .decision(i % 2 == 0 ? null : "deny").detail("i", i).build();
    }

    /** Opens a log, appends {@code n} events and closes it (a final checkpoint). */
    static void writeLog(AuditSettings settings, Clock clock, int n) {
        try (AuditLog log = AuditLog.open(settings, clock)) {
            appendAll(log, n);
        }
    }

    static void appendAll(AuditLog log, int n) {
        List<java.util.concurrent.CompletableFuture<Long>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(log.append(event(i)));
        }
        futures.forEach(java.util.concurrent.CompletableFuture::join);
    }

    static Path file(Path dir, int number) {
        return dir.resolve(AuditFormat.fileName(number));
    }

    static List<String> lines(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(text.lines().toList());
        return out;
    }

    static void writeLines(Path file, List<String> lines) throws IOException {
        StringBuilder text = new StringBuilder();
        lines.forEach(l -> text.append(l).append('\n'));
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static String hash(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return AuditFormat.hash(AuditFormat.sha256(), bytes, 0, bytes.length);
    }

    static List<AuditEntry> entries(Path dir) throws IOException {
        try (var s = AuditReader.entries(dir, AuditReader.Filter.ALL)) {
            return s.toList();
        }
    }
}
