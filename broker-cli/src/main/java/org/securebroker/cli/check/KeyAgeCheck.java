package org.securebroker.cli.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;

/**
 * Keys older than the rotation period ({@code --key-max-age}, 365 days by default) are medium
 * findings: the current key-encryption key, whose id records the day it was created
 * ({@link KeyringFile#createdOn}), and the audit and message-signing keys and the development token-signing
 * key, by their files' modification times. A key whose age cannot be told is an info finding.
 *
 * <p>Thread-safety: stateless.
 */
public final class KeyAgeCheck implements SecurityCheck {

    @Override
    public String name() {
        return "key-ages";
    }

    @Override
    public List<Finding> run(CheckContext context) throws IOException {
        List<Finding> out = new ArrayList<>();
        kek(out, context);
        BrokerConfig config = context.config();
        Path auditKey = config.audit().privateKey();
        if (Files.exists(auditKey)) {
            byFileTime(out, context, "the audit signing key", auditKey, "rotate it while the broker runs: 'broker "
                    + "keys rotate audit' (the old public key stays beside the new one; verify with both)");
        }
        Path signingKey = config.integrity().privateKey();
        if (Files.exists(signingKey)) {
            byFileTime(out, context, "the message-signing key", signingKey, "rotate it while the broker runs: 'broker "
                    + "keys rotate signing' (tls/signing-keys.pem keeps the old public key; give consumers the new file)");
        }
        Path devKey = config.dataDir().resolve(Layout.JWT_DEV_PRIVATE_KEY);
        if (Files.exists(devKey)) {
            byFileTime(out, context, "the development token-signing key", devKey, "it is a development aid: configure "
                    + "auth.jwt with your identity provider's keys and delete " + devKey + " and "
                    + config.dataDir().resolve(Layout.JWT_DEV_PUBLIC_KEY));
        }
        return out;
    }

    private static void kek(List<Finding> out, CheckContext context) {
        BrokerConfig.Keys keys = context.config().keys();
        String subject = keys.fromEnvironment() ? "environment variable " + keys.kekEnv() : keys.kekFile().toString();
        Keyring keyring;
        try {
            if (keys.fromEnvironment()) {
                if (!context.environment().containsKey(keys.kekEnv())) {
                    out.add(Finding.info("key-age-unknown", subject, "the key-encryption key comes from environment "
                            + "variable " + keys.kekEnv() + ", which is not set here; its age was not checked",
                            "run the check with the broker's environment"));
                    return;
                }
                keyring = KeyringFile.fromEnvironment(keys.kekEnv(), context.environment());
            } else {
                if (!Files.exists(keys.kekFile())) {
                    return; // the key file check reports it
                }
                keyring = KeyringFile.load(keys.kekFile());
            }
        } catch (StoreException e) {
            out.add(Finding.info("key-age-unknown", subject, "the age of the key-encryption key was not checked: "
                    + e.getMessage(), null));
            return;
        }
        String id = keyring.current().id();
        Optional<LocalDate> created = KeyringFile.createdOn(id);
        if (created.isEmpty()) {
            out.add(Finding.info("key-age-unknown", subject, "the current key-encryption key '" + id + "' has an id "
                    + "that does not record when it was created (kek-YYYYMMDD-xxxxxx); its age was not checked", null));
            return;
        }
        Instant since = created.get().atStartOfDay(ZoneOffset.UTC).toInstant();
        Duration age = Duration.between(since, context.now());
        if (age.compareTo(context.thresholds().keyMaxAge()) > 0) {
            out.add(Finding.medium("key-age", subject, "the current key-encryption key '" + id + "' was created on "
                    + created.get() + ", " + CheckContext.days(age) + " ago (rotation period "
                    + CheckContext.days(context.thresholds().keyMaxAge()) + ")", "rotate it while the broker runs: 'broker "
                    + "keys rotate kek' (the data keys are rewrapped in the background; the old key stays in the "
                    + "file for backups)"));
        }
    }

    private static void byFileTime(List<Finding> out, CheckContext context, String what, Path file, String fix)
            throws IOException {
        Instant modified = Files.getLastModifiedTime(file).toInstant();
        Duration age = Duration.between(modified, context.now());
        if (age.compareTo(context.thresholds().keyMaxAge()) > 0) {
            out.add(Finding.medium("key-age", file.toString(), what + " " + file + " was last written on " + modified
                    + ", " + CheckContext.days(age) + " ago (rotation period "
                    + CheckContext.days(context.thresholds().keyMaxAge()) + ")", fix));
        }
    }
}
