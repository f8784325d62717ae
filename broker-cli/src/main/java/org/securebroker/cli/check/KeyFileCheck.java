package org.securebroker.cli.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;
import org.securebroker.server.tls.LocalCa;
import org.securebroker.store.crypto.KeyringFile;

/**
 * The files holding secrets: none may be accessible by group or others (high), by the same test
 * the broker applies when it loads a key ({@link KeyringFile#permissionsIfLoose}). The
 * key-encryption key file, the audit signing key, the message-signing key, the server's TLS key and the configured JWT
 * HMAC secrets must exist (high: the broker cannot start or cannot decrypt without them); the
 * others (development token key, authentication secret, admin password, users file, local CA
 * key) are checked when present. The secrets directory should be 0700 (medium).
 *
 * <p>Thread-safety: stateless.
 */
public final class KeyFileCheck implements SecurityCheck {

    /** A secret file: what it is (with its setting), where, and what to do when it is missing. */
    record SecretFile(String what, Path path, String missingFix) {
        boolean required() {
            return missingFix != null;
        }
    }

    @Override
    public String name() {
        return "key-files";
    }

    @Override
    public List<Finding> run(CheckContext context) throws IOException {
        List<Finding> out = new ArrayList<>();
        for (SecretFile f : secretFiles(context.config())) {
            if (!Files.exists(f.path())) {
                if (f.required()) {
                    out.add(Finding.high("key-file-missing", f.path().toString(), f.what() + " " + f.path()
                            + " does not exist", f.missingFix()));
                }
                continue;
            }
            Set<PosixFilePermission> loose = KeyringFile.permissionsIfLoose(f.path());
            if (!loose.isEmpty()) {
                out.add(Finding.high("key-file-permissions", f.path().toString(), f.what() + " " + f.path()
                        + " is accessible by group or others (" + PosixFilePermissions.toString(loose) + ")",
                        "chmod 600 " + f.path()));
            }
        }
        Path secrets = context.config().dataDir().resolve(Layout.SECRETS_DIR);
        if (Files.isDirectory(secrets)) {
            Set<PosixFilePermission> loose = KeyringFile.permissionsIfLoose(secrets);
            if (!loose.isEmpty()) {
                out.add(Finding.medium("secrets-dir-permissions", secrets.toString(), "the secrets directory " + secrets
                        + " is accessible by group or others (" + PosixFilePermissions.toString(loose) + ")",
                        "chmod 700 " + secrets));
            }
        }
        return out;
    }

    /** Every secret file of this configuration, each once. */
    static List<SecretFile> secretFiles(BrokerConfig config) {
        Map<Path, SecretFile> files = new LinkedHashMap<>();
        Path data = config.dataDir();
        if (!config.keys().fromEnvironment()) {
            add(files, new SecretFile("the key-encryption key file (keys.kekFile)", config.keys().kekFile(),
                    "restore it from the key backup; without it the store cannot be decrypted"));
        }
        add(files, new SecretFile("the audit signing key (audit.privateKey)", config.audit().privateKey(),
                config.authorization().disabledForBenchmarks() ? null : "restore it from the backup of the secrets, "
                        + "else create a new one with 'broker audit keygen' (keep the old public key to verify older "
                        + "checkpoints)"));
        add(files, new SecretFile("the message-signing key (integrity.privateKey)", config.integrity().privateKey(),
                config.integrity().disabledForBenchmarks() ? null : "restore it from the backup of the secrets, else "
                        + "make a new one with 'broker keys rotate signing' (tls/signing-keys.pem keeps the old public "
                        + "key, so older messages stay verifiable)"));
        add(files, new SecretFile("the server's TLS private key (tls.privateKey)", config.tls().privateKey(),
                "restore it, or replace " + config.tls().certificate() + " and the key with a new pair from your CA"));
        if (config.auth().jwt() != null) {
            for (BrokerConfig.JwtKey key : config.auth().jwt().keys()) {
                if (key.secret() != null) {
                    add(files, new SecretFile("the HMAC secret of JWT key '" + key.kid() + "' (auth.jwt.keys)",
                            key.secret(), "restore it, or remove key '" + key.kid() + "' from auth.jwt.keys"));
                }
            }
        }
        add(files, new SecretFile("the development token-signing key", data.resolve(Layout.JWT_DEV_PRIVATE_KEY), null));
        add(files, new SecretFile("the authentication secret", data.resolve(Layout.AUTH_SECRET), null));
        add(files, new SecretFile("the admin password file", data.resolve(Layout.ADMIN_PASSWORD_FILE), null));
        add(files, new SecretFile("the users file (auth.usersFile)", config.auth().usersFile(), null));
        add(files, new SecretFile("the local CA's private key", data.resolve(Layout.TLS_DIR).resolve(LocalCa.CA_KEY),
                null));
        return List.copyOf(files.values());
    }

    private static void add(Map<Path, SecretFile> files, SecretFile file) {
        files.putIfAbsent(file.path().toAbsolutePath().normalize(), file);
    }
}
