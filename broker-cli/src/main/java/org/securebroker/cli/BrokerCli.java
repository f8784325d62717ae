package org.securebroker.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code broker} command.
 *
 * <p>Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration.
 */
@Command(name = "broker", mixinStandardHelpOptions = true, version = "securebroker 0.1.0",
        description = "A message broker with security on by default.",
        subcommands = {InitCommand.class, ServeCommand.class, UserCommand.class, QueueCommand.class, SubscriptionCommand.class,
            ProduceCommand.class, ConsumeCommand.class, CertsCommand.class, TokenCommand.class, ReloadCommand.class,
            RbacCommand.class, AuditCommand.class, KeysCommand.class, StoreCommand.class, VerifyCommand.class,
            CheckCommand.class, ConfigCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class})
public final class BrokerCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command, e.g. 'broker serve'");
    }

    public static void main(String[] args) {
        // Text for the terminal goes out in the platform's encoding, as System.out itself encodes on JDK 17
        // (files, by contrast, are always UTF-8); named here rather than left to the no-charset constructors.
        Charset terminal = Charset.defaultCharset();
        System.exit(execute(args, new PrintWriter(System.out, true, terminal),
                new PrintWriter(System.err, true, terminal)));
    }

    /** Runs the CLI with the given streams; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean serving = args.length > 0 && args[0].equals("serve");
        if (!serving) {
            quietLogs();
        }
        CommandLine cli = new CommandLine(new BrokerCli());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + Cli.describe(e));
            return e instanceof Cli.UsageException || e instanceof org.securebroker.server.config.ConfigException ? 2 : 1;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("error: " + e.getMessage());
            e.getCommandLine().getErr().println("see: broker "
                    + e.getCommandLine().getCommandSpec().qualifiedName().replaceFirst("^broker ?", "") + " --help");
            return 2;
        });
        return cli.execute(args);
    }

    private static void quietLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        }
    }
}
