package org.securebroker.cli.check;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditLogs;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;

/** A data directory as {@code broker init} lays it out, and helpers to run one check on it. */
final class CheckFixture {

    static final SecureRandom RANDOM = new SecureRandom();

    private CheckFixture() {
    }

    /** {@code broker init} in {@code tmp/data} (with the fewest SCRAM iterations, to be quick). */
    static Path init(Path tmp) throws IOException {
        Path data = tmp.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, 4096, RANDOM, Clock.systemUTC());
        return data;
    }

    static BrokerConfig config(Path data) {
        return ConfigLoader.defaults(data);
    }

    static CheckContext context(BrokerConfig config, Instant now) {
        return new CheckContext(config, now, CheckContext.Thresholds.defaults(now), Map.of());
    }

    static CheckContext context(BrokerConfig config) {
        return context(config, Instant.now());
    }

    /** The findings with this id. */
    static List<Finding> withId(List<Finding> findings, String id) {
        return findings.stream().filter(f -> f.id().equals(id)).toList();
    }

    /** Appends events at {@code at} to the data directory's audit log, signed with its audit key. */
    static void audit(BrokerConfig config, Instant at, AuditEvent... events) throws IOException {
        SigningKey key = AuditKeys.loadPrivate(config.audit().privateKey());
        AuditLogs.append(config.audit().dir(), key, at, events);
    }

    static AuditEvent login(String principal) {
        return AuditEvent.of("auth.success").principal(principal).mechanism("PLAIN").source("192.0.2.1:5000").build();
    }
}
