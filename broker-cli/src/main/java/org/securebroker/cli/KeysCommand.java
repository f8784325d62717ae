package org.securebroker.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.integrity.SigningKeyFiles;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker keys rotate kek}: adds a fresh key-encryption key to the key file and makes it
 * current, then asks the running broker to reload: new data keys are wrapped with the new KEK at
 * once and the existing ones are rewrapped in the background while traffic continues (progress
 * in the server log and the audit log). The old KEKs stay in the file, since a backup may still
 * need them. Without a running broker the new KEK is used from the next start.
 * {@code rotate signing} and {@code rotate audit} replace a signing key and keep the old public
 * key for verifiers; {@code keys producer} registers producers' public keys.
 *
 * <p>Thread-safety: a command object, used once.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage the broker's keys.",
        subcommands = {KeysCommand.Rotate.class, ProducerKeysCommand.class})
final class KeysCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: rotate, producer");
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Rotate a key while the broker runs: 'kek' (the key-encryption key), 'signing' (the "
                + "message and receipt signing key) or 'audit' (the audit checkpoint signing key).")
    static final class Rotate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "KEY", description = "kek, signing or audit")
        String key;
        @Mixin
        ClientOptions client;
        @picocli.CommandLine.Option(names = "--wait", description = "For kek: follow the background rewrap (from "
                + "the audit log) and return when every data key is under the new KEK.")
        boolean await;

        @Override
        public Integer call() throws Exception {
            if (!key.equals("kek") && !key.equals("audit") && !key.equals("signing")) {
                throw new Cli.UsageException("'" + key + "' is not a key that can be rotated; use kek, signing or audit");
            }
            BrokerConfig config = client.config.load();
            if (key.equals("signing")) {
                BrokerConfig.Integrity i = config.integrity();
                SigningKeyFiles.Rotation r = SigningKeyFiles.rotate(i.privateKey(), i.publicKeys(), Cli.CONTEXT.random());
                spec.commandLine().getOut().println("new message-signing key " + r.newId()
                        + (r.previousId().isEmpty() ? "" : " (was " + r.previousId() + ")") + " in " + i.privateKey()
                        + "; " + i.publicKeys() + " now lists " + r.publicKeys() + " public key(s), the new one first: "
                        + "give it to consumers, which verify older messages and receipts with the retired keys");
                reload("the broker signs new messages and receipts with the new key (audited as key.signing.rotate)");
                return 0;
            }
            if (key.equals("audit")) {
                rotateAudit(config);
                reload("the broker seals its audit log under the old key and signs with the new one from now on "
                        + "(see 'broker audit show --event key.audit')");
                return 0;
            }
            if (config.keys().fromEnvironment()) {
                throw new Cli.UsageException("the KEKs come from the environment variable " + config.keys().kekEnv()
                        + ": add the new key there and restart the broker");
            }
            Path file = config.keys().kekFile();
            Keyring keyring = KeyringFile.rotate(Cli.CONTEXT.files(), file, Cli.CONTEXT.random(), Cli.CONTEXT.clock());
            var out = spec.commandLine().getOut();
            out.println("added key-encryption key '" + keyring.current().id() + "' to " + file + " (now current; "
                    + keyring.ids().size() + " keys in the file)");
            boolean running = reload("the broker uses it now and rewraps the data keys in the background (see its "
                    + "log, or 'broker audit show --event key.kek')");
            if (await && running) {
                return follow(config.audit().dir(), keyring.current().id());
            }
            return 0;
        }

        /** Prints the rewrap's progress as the audit log records it; 0 when done, 1 if it failed or took too long. */
        private int follow(java.nio.file.Path auditDir, String kek) throws Exception {
            var out = spec.commandLine().getOut();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(30);
            long shown = 0;
            while (System.nanoTime() < deadline) {
                java.util.List<org.securebroker.server.audit.AuditEntry> steps;
                try (java.util.stream.Stream<org.securebroker.server.audit.AuditEntry> all =
                             org.securebroker.server.audit.AuditReader.entries(auditDir,
                                     org.securebroker.server.audit.AuditReader.Filter.ALL.withType("key.kek"))) {
                    steps = all.filter(e -> kek.equals(e.resource())).toList();
                }
                for (org.securebroker.server.audit.AuditEntry e : steps) {
                    if (e.seq() <= shown) {
                        continue;
                    }
                    shown = e.seq();
                    if (e.type().equals("key.kek.rewrap")) {
                        out.println("  rewrapped: " + e.details().get("queuesDone") + " of " + e.details().get("queues")
                                + " queues");
                    } else if (e.type().equals("key.kek.rewrapped")) {
                        boolean ok = !"deny".equals(e.decision());
                        out.println(ok ? "done: " + e.details().get("dataKeys") + " data key(s) rewrapped; KEKs still "
                                + "in use: " + e.details().get("stillInUse") : "the rewrap failed: " + e.reason());
                        return ok ? 0 : 1;
                    }
                }
                Thread.sleep(500);
            }
            out.println("the rewrap did not finish within 30 minutes; it goes on in the broker");
            return 1;
        }

        /**
         * A new audit key pair at the configured paths; the old public key stays beside it as
         * audit-KEYID.pub for auditors (checkpoints signed with it remain in the log), the old
         * private key is deleted so it can sign nothing more.
         */
        private void rotateAudit(BrokerConfig config) throws java.io.IOException {
            java.nio.file.Path priv = config.audit().privateKey();
            java.nio.file.Path pub = config.audit().publicKey();
            String oldId = org.securebroker.server.audit.AuditKeys.loadPublic(pub).id();
            java.nio.file.Path newPriv = priv.resolveSibling(priv.getFileName() + ".new");
            java.nio.file.Path newPub = pub.resolveSibling(pub.getFileName() + ".new");
            java.nio.file.Files.deleteIfExists(newPriv);
            java.nio.file.Files.deleteIfExists(newPub);
            String newId = org.securebroker.server.audit.AuditKeys.create(newPub, newPriv, Cli.CONTEXT.random());
            java.nio.file.Path retired = pub.resolveSibling("audit-" + oldId + ".pub");
            java.nio.file.Files.copy(pub, retired, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.nio.file.Files.move(newPub, pub, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            java.nio.file.Files.move(newPriv, priv, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            var out = spec.commandLine().getOut();
            out.println("new audit signing key " + newId + " (" + priv + ", public " + pub + "); the previous public "
                    + "key " + oldId + " stays in " + retired + ": auditors verify with both (--key " + retired
                    + " --key " + pub + ")");
        }

        /** Asks a running broker to reload; false when none answered. */
        private boolean reload(String done) {
            return client.reloadIfRunning(spec.commandLine().getOut(), done, "it uses the new key from its next start");
        }
    }
}
