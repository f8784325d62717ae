package org.securebroker.server.audit;

import java.nio.file.Path;
import java.time.Clock;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.securebroker.store.io.FileLayer;

/** Audit logs for tests of other packages, over a file layer the test controls (to make writes fail). */
public final class AuditLogs {

    private AuditLogs() {
    }

    public static AuditLog open(Path dir, FileLayer layer) {
        return AuditLog.open(AuditSettings.of(dir, new Ed25519PrivateKeyParameters(new java.security.SecureRandom())),
                Clock.systemUTC(), layer);
    }
}
