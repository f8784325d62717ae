package org.securebroker.server.cli;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerException;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.store.crypto.Keyring;
import org.securebroker.store.crypto.KeyringFile;
import org.securebroker.store.io.DefaultFileLayer;
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
 *
 * <p>Thread-safety: a command object, used once.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage the broker's keys.",
        subcommands = {KeysCommand.Rotate.class})
final class KeysCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: rotate");
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Rotate a key while the broker runs: 'kek' (the key-encryption key).",
                "The audit key is rotated with 'broker audit keygen' and a restart (see docs/audit.md); "
                    + "message signing keys do not exist yet."})
    static final class Rotate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "KEY", description = "kek")
        String key;
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            if (!key.equals("kek")) {
                throw new Cli.UsageException("'" + key + "' cannot be rotated here; only 'kek' (the audit key: move it "
                        + "aside, 'broker audit keygen', restart)");
            }
            BrokerConfig config = client.config.load();
            if (config.keys().fromEnvironment()) {
                throw new Cli.UsageException("the KEKs come from the environment variable " + config.keys().kekEnv()
                        + ": add the new key there and restart the broker");
            }
            Path file = config.keys().kekFile();
            Keyring keyring = KeyringFile.rotate(DefaultFileLayer.INSTANCE, file, new SecureRandom(), Clock.systemUTC());
            var out = spec.commandLine().getOut();
            out.println("added key-encryption key '" + keyring.current().id() + "' to " + file + " (now current; "
                    + keyring.ids().size() + " keys in the file)");
            try (BrokerClient c = client.connect()) {
                c.reload();
                out.println("the broker uses it now and rewraps the data keys in the background (see its log, or "
                        + "'broker audit show --event key.kek')");
            } catch (BrokerException e) {
                if (!e.is(ErrorCode.CONNECTION_LOST)) {
                    throw e;
                }
                out.println("no broker answered (" + e.getMessage() + "); it uses the new key from its next start");
            }
            return 0;
        }
    }
}
