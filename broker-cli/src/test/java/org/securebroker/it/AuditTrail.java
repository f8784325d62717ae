package org.securebroker.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;

/**
 * The broker's audit log as the ITs read it. The log has its own writer thread: an event is
 * queued when the broker acts and reaches the file a little later, so a check right after an
 * action waits for the entries it expects rather than reading once.
 */
final class AuditTrail {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private AuditTrail() {
    }

    /** The entries whose type is {@code type} or starts with {@code type.}, as written so far. */
    static List<AuditEntry> entries(Path auditDir, String type) throws IOException {
        try (Stream<AuditEntry> all = AuditReader.entries(auditDir, AuditReader.Filter.ALL.withType(type))) {
            return all.toList();
        }
    }

    /** Waits until at least {@code count} such entries are written, then returns all of them. */
    static List<AuditEntry> await(Path auditDir, String type, int count) {
        return Awaitility.await().atMost(WAIT).until(() -> entries(auditDir, type), l -> l.size() >= count);
    }
}
