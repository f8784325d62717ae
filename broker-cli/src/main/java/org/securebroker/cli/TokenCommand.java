package org.securebroker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.tls.LocalCa;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code broker token mint}: signs a short-lived JWT with the development key that
 * {@code broker init} created. A development aid for trying the JWT mechanism; production tokens
 * come from an identity provider.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "JWT bearer tokens for development (a development aid, not an identity provider).",
        subcommands = {TokenCommand.Mint.class})
final class TokenCommand implements Runnable {

    @Override
    public void run() {
        throw new Cli.UsageException("name a token command: mint");
    }

    @Command(name = "mint", mixinStandardHelpOptions = true,
            description = "Sign a short-lived token with the development key (a development aid, not an identity "
                    + "provider). Prints the token on standard output.")
    static final class Mint implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Option(names = "--subject", required = true, paramLabel = "NAME", description = "The principal (sub claim).")
        String subject;
        @Option(names = "--role", paramLabel = "ROLE", description = "A roles claim value (repeatable); it grants "
                + "broker roles only through the policy's tokenRoles.")
        List<String> roles = new ArrayList<>();
        @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "15m",
                description = "How long the token lives, at most 1h (default: ${DEFAULT-VALUE}).")
        String ttl;
        @Option(names = "--issuer", paramLabel = "ISS", defaultValue = DevTokens.ISSUER,
                description = "The iss claim (default: ${DEFAULT-VALUE}).")
        String issuer;
        @Option(names = "--audience", paramLabel = "AUD", defaultValue = DevTokens.AUDIENCE,
                description = "The aud claim (default: ${DEFAULT-VALUE}).")
        String audience;
        @Option(names = "--key", paramLabel = "FILE",
                description = "PEM private key, Ed25519, EC P-256 or RSA (default: DIR/" + BrokerConfig.Layout.JWT_DEV_PRIVATE_KEY
                        + ").")
        Path key;
        @Option(names = "--kid", paramLabel = "KID", defaultValue = DevTokens.KEY_ID,
                description = "The kid header (default: ${DEFAULT-VALUE}).")
        String kid;

        @Override
        public Integer call() throws IOException {
            Duration lifetime = Cli.duration("--ttl", ttl);
            if (lifetime.isZero() || lifetime.compareTo(DevTokens.MAX_TTL) > 0) {
                throw new Cli.UsageException("--ttl: " + ttl + " is out of range; allowed up to 1h");
            }
            if (subject.isBlank()) {
                throw new Cli.UsageException("--subject: must not be empty");
            }
            Path file = key != null ? key : options.load().dataDir().resolve(BrokerConfig.Layout.JWT_DEV_PRIVATE_KEY);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("no signing key at " + file + "; run 'broker init' or name one with --key");
            }
            PrivateKey privateKey = LocalCa.readPrivateKey(file);
            String token;
            try {
                token = DevTokens.mint(privateKey,
                        new DevTokens.Request(issuer, audience, kid, subject, roles, lifetime), Cli.CONTEXT.clock());
            } catch (IllegalArgumentException e) {
                throw new Cli.UsageException(e.getMessage());
            }
            spec.commandLine().getOut().println(token);
            spec.commandLine().getErr().println("note: 'broker token mint' is a development aid, not an identity "
                    + "provider; the token is valid for " + ttl.strip());
            return 0;
        }
    }
}
