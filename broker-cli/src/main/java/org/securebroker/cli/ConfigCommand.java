package org.securebroker.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.Preflight;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code broker config ...}: the configuration, without a running broker. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Validate the configuration.",
        subcommands = ConfigCommand.Check.class)
final class ConfigCommand implements Runnable {

    @Override
    public void run() {
        throw new Cli.UsageException("name a config command: check");
    }

    /**
     * {@code broker config check}: loads and validates the configuration with the loader
     * {@code serve} uses and reads the files it names as a start reads them ({@link Preflight}),
     * binding nothing and writing nothing.
     *
     * <p>Exit codes: 0 the configuration is valid and its files usable; 1 a file it names cannot
     * be used (a start would fail); 2 the configuration itself is invalid, or bad usage.
     */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Load and validate the configuration as 'broker serve' does, and read the files it names "
                + "(TLS material, key files, users file, policy file, JWT keys) as a start reads them, without "
                + "binding a port or writing anything. Prints 'config OK: FILE' or every problem.",
                "Exits 0 when the configuration is valid and its files usable, 1 when a file it names cannot be used, "
                    + "2 when the configuration is invalid or for bad usage."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String source = options.embedded() ? "(embedded defaults with data in " + options.dataDir() + ")"
                    : options.config.toString();
            if (options.embedded() && !Bootstrap.isInitialized(options.dataDir())) {
                out.println("config OK: " + source + "; the data directory is not initialized yet ('broker serve' "
                        + "without --config or 'broker init' creates it)");
                return 0;
            }
            BrokerConfig config;
            try {
                config = options.load();
            } catch (ConfigException e) {
                print(err, source, e.problems());
                return 2;
            }
            List<String> problems = Preflight.problems(config, System.getenv(), Cli.CONTEXT.clock());
            if (!problems.isEmpty()) {
                print(err, source, problems);
                return 1;
            }
            out.println("config OK: " + source);
            return 0;
        }

        private static void print(PrintWriter err, String source, List<String> problems) {
            err.println("config invalid: " + source + " (" + problems.size() + (problems.size() == 1 ? " problem)"
                    : " problems)"));
            for (String p : problems) {
                err.println("  " + p);
            }
            err.flush();
        }
    }
}
