package org.securebroker.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which settings differ between two configurations, by the name an operator reads in
 * {@code broker.yaml}. A reload applies {@code alerts.*}, {@code quotas.*} and
 * {@code audit.allowAggregation} while running; everything else listed here needs a restart.
 *
 * <p>Thread-safety: stateless.
 */
public final class ConfigChanges {

    private ConfigChanges() {
    }

    /** The settings of {@code fresh} that differ from {@code running} and take effect only after a restart. */
    public static List<String> needingRestart(BrokerConfig running, BrokerConfig fresh) {
        List<String> out = new ArrayList<>();
        differ(out, "dataDir", running.dataDir(), fresh.dataDir());
        differ(out, "listener", running.listener(), fresh.listener());
        differ(out, "tls", tls(running.tls()), tls(fresh.tls()));
        differ(out, "keys", running.keys(), fresh.keys());
        differ(out, "store", running.store(), fresh.store());
        differ(out, "auth", running.auth(), fresh.auth());
        differ(out, "queues", running.queues(), fresh.queues());
        differ(out, "authorization", running.authorization(), fresh.authorization());
        differ(out, "admin", running.admin(), fresh.admin());
        differ(out, "memory", running.memory(), fresh.memory());
        BrokerConfig.Audit a = running.audit();
        BrokerConfig.Audit b = fresh.audit();
        differ(out, "audit", new BrokerConfig.Audit(a.dir(), a.privateKey(), a.publicKey(), a.checkpointEntries(),
                a.checkpointInterval(), a.rotateBytes(), a.rotateAge(), null), new BrokerConfig.Audit(b.dir(),
                b.privateKey(), b.publicKey(), b.checkpointEntries(), b.checkpointInterval(), b.rotateBytes(),
                b.rotateAge(), null));
        return out;
    }

    private static void differ(List<String> out, String name, Object running, Object fresh) {
        if (!Objects.equals(running, fresh)) {
            out.add(name);
        }
    }

    /** The TLS settings with each principal rule's pattern as text (patterns do not compare by value). */
    private static List<Object> tls(BrokerConfig.Tls t) {
        List<Object> rules = new ArrayList<>();
        for (BrokerConfig.PrincipalRule r : t.principalMapping()) {
            rules.add(r.source() + " " + r.pattern().pattern());
        }
        return List.of(String.valueOf(t.certificate()), String.valueOf(t.privateKey()), t.provider(), t.clientAuth(),
                String.valueOf(t.clientCa()), String.valueOf(t.crl()), rules);
    }
}
