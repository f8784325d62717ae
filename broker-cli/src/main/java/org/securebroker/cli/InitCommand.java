package org.securebroker.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.auth.Argon2id;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code broker init}: creates a data directory with its CA, certificates, KEK and admin user. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a data directory: local CA, server and client certificates, key-encryption key, and an "
                + "'admin' user with a random password written to DIR/secrets/admin.password.")
final class InitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path data;

    @Override
    public Integer call() throws Exception {
        Bootstrap.Result result = Bootstrap.init(data, Argon2id.OWASP_MINIMUM, Cli.CONTEXT.random(), Cli.CONTEXT.clock());
        print(spec.commandLine().getOut(), result);
        return 0;
    }

    static void print(java.io.PrintWriter out, Bootstrap.Result result) {
        out.println("Initialized " + result.dataDir().toAbsolutePath() + ":");
        result.created().forEach(line -> out.println("  " + line));
        out.println("The admin password is in " + result.adminPasswordFile() + " (readable by you only).");
    }
}
