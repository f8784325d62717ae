package org.securebroker.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.auth.jwt.JwtVerifier;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.integrity.ProducerKeys;
import org.securebroker.server.integrity.SigningKeyFiles;
import org.securebroker.server.rbac.PolicyException;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.server.tls.TlsMaterial;

/**
 * What a start checks of the files a configuration names before anything is opened or bound:
 * the key-encryption key, the message signing keys, the producer keys, the users file, the
 * authorization policy, the audit signing key, the TLS material and the JWT keys. Each is read
 * with the loader {@link Broker#start} uses, and every problem is collected, so
 * {@code broker config check} finds what would stop a start, in the words the start would use.
 *
 * <p>It neither opens the store (that runs recovery and takes its lock) nor the audit log, and
 * writes nothing.
 *
 * <p>Thread-safety: stateless.
 */
public final class Preflight {

    private Preflight() {
    }

    /**
     * Every problem with the files {@code config} names, each naming the file and what is wrong;
     * empty when a start would get past them.
     *
     * @param environment where {@code keys.kekEnv} is looked up
     */
    public static List<String> problems(BrokerConfig config, Map<String, String> environment, Clock clock) {
        List<String> problems = new ArrayList<>();
        check(problems, "keys", () -> Offline.keyring(config, environment));
        BrokerConfig.Integrity integrity = config.integrity();
        if (!integrity.disabledForBenchmarks()) {
            check(problems, "integrity.privateKey", () -> {
                SigningKey key = SigningKeyFiles.loadPrivate(integrity.privateKey());
                SigningKeyFiles.loadPublic(integrity.publicKeys(), key);
            });
        }
        check(problems, "integrity.producerKeys", () -> ProducerKeys.load(integrity.producerKeys()));
        check(problems, "auth.usersFile", () -> UserStore.load(config.auth().usersFile()));
        check(problems, "authorization.policyFile", () -> policy(config.authorization().policyFile(), clock));
        if (!config.authorization().disabledForBenchmarks()) {
            check(problems, "audit.privateKey", () -> auditKey(config.audit().privateKey()));
        }
        check(problems, "tls", () -> TlsMaterial.load(config.tls(), clock));
        if (config.auth().jwt() != null) {
            check(problems, "auth.jwt", () -> JwtVerifier.load(config.auth().jwt(), clock));
        }
        return problems;
    }

    /** The audit signing key as a start loads it (a missing file says how to make one). */
    static SigningKey auditKey(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IllegalStateException("the audit signing key " + file + " does not exist: 'broker init' creates "
                    + "it on a new data directory, 'broker audit keygen' on an existing one");
        }
        return AuditKeys.loadPrivate(file);
    }

    /** The policy as a start loads it (a missing file is an error, not the built-in default). */
    static PolicyHolder policy(Path file, Clock clock) {
        if (!Files.exists(file)) {
            throw new IllegalStateException("the authorization policy " + file + " does not exist: 'broker init' creates "
                    + "one that lets the 'admin' role do everything, conf/policy.yaml shows every option");
        }
        try {
            return PolicyHolder.load(file, clock);
        } catch (PolicyException e) {
            throw new IllegalStateException("the authorization policy " + file + " cannot be used: "
                    + String.join("; ", e.problems()), e);
        }
    }

    private interface Step {
        void run() throws IOException;
    }

    private static void check(List<String> problems, String setting, Step step) {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            problems.add(setting + ": " + message);
        }
    }
}
