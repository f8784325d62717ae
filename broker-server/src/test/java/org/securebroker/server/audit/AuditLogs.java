package org.securebroker.server.audit;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.store.io.FileLayer;

/** Audit logs for tests of other packages, over a file layer the test controls (to make writes fail). */
public final class AuditLogs {

    private AuditLogs() {
    }

    public static AuditLog open(Path dir, FileLayer layer) {
        return AuditLog.open(AuditSettings.of(dir, SigningKey.generate(new java.security.SecureRandom())),
                Clock.systemUTC(), layer);
    }

    /**
     * Appends events recorded at {@code at} to the log in {@code dir} (created if missing) and
     * closes it, as a broker run that stops cleanly: the log ends with a final checkpoint.
     */
    public static void append(Path dir, SigningKey key, Instant at, AuditEvent... events) {
        try (AuditLog log = AuditLog.open(AuditSettings.of(dir, key), Clock.fixed(at, ZoneOffset.UTC))) {
            java.util.concurrent.CompletableFuture<Long> last = null;
            for (AuditEvent e : events) {
                last = log.append(e);
            }
            if (last != null) {
                last.join();
            }
        }
    }
}
