package org.securebroker.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.securebroker.protocol.integrity.KeyPem;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.securebroker.server.integrity.ProducerKeys;
import org.securebroker.server.integrity.SigningKeyFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker keys producer add|remove|list|keygen}: the Ed25519 public keys producers sign
 * messages with, registered per principal in the producer-keys file. A running broker picks a
 * change up within a second (audited as {@code key.producer.reload} and
 * {@code key.producer.changed}, with the operating-system user who ran the command from the note
 * left beside the file; {@code keys.changed-offline} at the next start if the broker is stopped).
 *
 * <p>Thread-safety: command objects, used once.
 */
@Command(name = "producer", mixinStandardHelpOptions = true, description = "Register producers' signing keys.",
        subcommands = {ProducerKeysCommand.Add.class, ProducerKeysCommand.Remove.class, ProducerKeysCommand.List.class,
            ProducerKeysCommand.Keygen.class})
final class ProducerKeysCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: add, remove, list, keygen");
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Register a public key (PEM) for a principal: messages it signs with the private half are "
                    + "accepted from that principal only.")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions config;
        @Parameters(index = "0", paramLabel = "PRINCIPAL")
        String principal;
        @Parameters(index = "1", paramLabel = "PUBLIC_KEY", description = "The producer's public key (PEM).")
        Path publicKey;

        @Override
        public Integer call() throws IOException {
            Path file = config.load().integrity().producerKeys();
            KeySet keys;
            try {
                keys = KeyPem.readPublicKeys(publicKey);
            } catch (IOException e) {
                throw new Cli.UsageException(e.getMessage());
            }
            ProducerKeys registry = ProducerKeys.load(file);
            for (VerifyingKey k : keys.keys()) {
                try {
                    registry = registry.with(principal, k);
                } catch (IllegalArgumentException e) {
                    throw new Cli.UsageException("PRINCIPAL: " + e.getMessage());
                }
                spec.commandLine().getOut().println("registered key " + k.id() + " for " + Cli.quote(principal));
            }
            registry.save(file, Cli.changeNote(file, "broker keys producer add " + principal));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a principal's key (or all its keys): messages signed with it are refused from now on.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions config;
        @Parameters(index = "0", paramLabel = "PRINCIPAL")
        String principal;
        @Parameters(index = "1", paramLabel = "KEY_ID", arity = "0..1", description = "Default: every key of the principal.")
        String keyId;

        @Override
        public Integer call() throws IOException {
            Path file = config.load().integrity().producerKeys();
            ProducerKeys registry = ProducerKeys.load(file);
            int before = registry.keyCount();
            registry = registry.without(principal, keyId);
            if (registry.keyCount() == before) {
                spec.commandLine().getErr().println("no such key registered for " + Cli.quote(principal));
                return 1;
            }
            registry.save(file, Cli.changeNote(file, "broker keys producer remove " + principal
                    + (keyId == null ? "" : " " + keyId)));
            spec.commandLine().getOut().println("removed " + (before - registry.keyCount()) + " key(s) of "
                    + Cli.quote(principal));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the registered producer keys.")
    static final class List implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions config;

        @Override
        public Integer call() throws IOException {
            ProducerKeys registry = ProducerKeys.load(config.load().integrity().producerKeys());
            registry.all().forEach((principal, keys) -> spec.commandLine().getOut()
                    .println(Cli.quote(principal) + "  " + String.join(", ", keys.ids())));
            return 0;
        }
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Make a producer key pair: PREFIX.key (private, 0600; keep it with the producer) and "
                    + "PREFIX.pub (public; register it with 'add'). 'openssl genpkey -algorithm ed25519' works too.")
    static final class Keygen implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "PREFIX")
        Path prefix;
        @Option(names = "--force", description = "Overwrite existing files.")
        boolean force;

        @Override
        public Integer call() throws IOException {
            Path priv = prefix.resolveSibling(prefix.getFileName() + ".key");
            Path pub = prefix.resolveSibling(prefix.getFileName() + ".pub");
            if (!force && (Files.exists(priv) || Files.exists(pub))) {
                throw new FileAlreadyExistsException(priv + " or " + pub, null, "use --force to overwrite");
            }
            SigningKey key = SigningKey.generate(Cli.CONTEXT.random());
            SigningKeyFiles.writePrivate(priv, key);
            Files.writeString(pub, KeyPem.publicKeyPem(key.publicKey()));
            spec.commandLine().getOut().println("producer key " + key.id() + ": " + priv + " (private), " + pub
                    + " (public; register it with 'broker keys producer add PRINCIPAL " + pub + "')");
            return 0;
        }
    }
}
