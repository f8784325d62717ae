package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.identity.PrincipalNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker user ...}: manages the users file. A running broker picks changes up within a
 * second; connections of removed or disabled users are closed. Each change leaves a note beside
 * the file naming the operating-system user who ran the command, which the broker writes into the
 * audit record of the change (at once, or at its next start if it is stopped).
 */
@Command(name = "user", mixinStandardHelpOptions = true,
        description = "Manage users (Argon2id password hashes and SCRAM-SHA-256 keys).",
        subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class, UserCommand.Remove.class,
            UserCommand.Passwd.class, UserCommand.Disable.class, UserCommand.Enable.class})
final class UserCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new Cli.UsageException("name a user command: add, list, remove, passwd, disable, enable");
    }

    static UserStore users(BrokerConfig config) {
        return UserStore.load(config.auth().usersFile());
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a user.")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--role", paramLabel = "ROLE", description = "A role (repeatable), e.g. admin.")
        List<String> roles = new ArrayList<>();
        @Option(names = "--password-stdin", description = "Read the password from standard input.")
        boolean stdin;
        @Option(names = "--no-scram", description = "Store no SCRAM-SHA-256 verifier for this user (only the Argon2id "
                + "hash): the user logs in with PLAIN only, and SCRAM logins fail like a wrong password.")
        boolean noScram;

        @Override
        public Integer call() {
            BrokerConfig config = options.load();
            PrincipalNames.validate(name);
            UserStore users = users(config);
            if (users.find(name).isPresent()) {
                throw new IllegalStateException("user '" + name + "' exists already; use 'broker user passwd'");
            }
            PasswordSecrets secrets = newPassword(config, stdin, !noScram);
            users.update(all -> {
                if (all.containsKey(name)) {
                    throw new IllegalStateException("user '" + name + "' exists already");
                }
                all.put(name, User.of(name, secrets, roles, Cli.CONTEXT.clock().instant(), noScram));
                return all;
            }, Cli.usersChange("broker user add " + name + (roles.isEmpty() ? "" : " --role " + String.join(",", roles))
                    + (noScram ? " --no-scram" : "")));
            spec.commandLine().getOut().println("user '" + name + "' added" + (roles.isEmpty() ? "" : " with roles " + roles));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users.")
    static final class ListUsers implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
        Cli.Output output;

        @Override
        public Integer call() throws Exception {
            BrokerConfig config = options.load();
            UserStore users = users(config);
            Argon2id current = Argon2id.of(config.auth().passwordHashing());
            int scramIterations = config.auth().scramIterations();
            PrintWriter out = spec.commandLine().getOut();
            if (output == Cli.Output.JSON) {
                ArrayNode list = Cli.JSON.createArrayNode();
                for (User u : users.all()) {
                    ObjectNode n = list.addObject();
                    n.put("name", u.name());
                    ArrayNode roles = n.putArray("roles");
                    u.roles().forEach(roles::add);
                    n.put("disabled", u.disabled());
                    n.put("created", u.created().toString());
                    n.put("hashOutdated", current.isOutdated(u.passwordHash()));
                    n.put("scram", scramState(u, scramIterations));
                }
                out.println(Cli.JSON.writeValueAsString(list));
                return 0;
            }
            out.printf("%-24s %-20s %-9s %-9s %s%n", "NAME", "ROLES", "STATE", "SCRAM", "CREATED");
            for (User u : users.all()) {
                out.printf("%-24s %-20s %-9s %-9s %s%n", u.name(), String.join(",", u.roles()),
                        u.disabled() ? "disabled" : "active", scramState(u, scramIterations), u.created());
            }
            return 0;
        }

        /**
         * "yes"; "outdated" (fewer iterations than configured: renewed at the next PLAIN login or
         * password change); "no" (only PLAIN works until then); "off" (turned off for the user:
         * no verifier is ever stored).
         */
        private static String scramState(User u, int iterations) {
            return u.scramDisabled() ? "off" : u.scram() == null ? "no" : u.scram().iterations() < iterations ? "outdated"
                    : "yes";
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a user.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            users(options.load()).update(all -> {
                if (all.remove(name) == null) {
                    throw new IllegalStateException("user '" + name + "' does not exist");
                }
                return all;
            }, Cli.usersChange("broker user remove " + name));
            spec.commandLine().getOut().println("user '" + name + "' removed");
            return 0;
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true, description = "Set a user's password.")
    static final class Passwd implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--password-stdin", description = "Read the password from standard input.")
        boolean stdin;
        @Option(names = "--scram", negatable = true, description = "Store a SCRAM-SHA-256 verifier with the new password "
                + "(--scram) or none, so that the user logs in with PLAIN only (--no-scram). Default: as before.")
        Boolean scram;

        @Override
        public Integer call() {
            BrokerConfig config = options.load();
            UserStore users = users(config);
            User existing = users.find(name).orElse(null);
            if (existing == null) {
                throw new IllegalStateException("user '" + name + "' does not exist");
            }
            boolean scramOff = scram == null ? existing.scramDisabled() : !scram;
            PasswordSecrets secrets = newPassword(config, stdin, !scramOff);
            change(users, name, u -> u.withPassword(secrets, scramOff), "broker user passwd " + name
                    + (scram == null ? "" : scram ? " --scram" : " --no-scram"));
            spec.commandLine().getOut().println("password of '" + name + "' changed");
            return 0;
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Disable a user; a running broker closes the user's connections.")
    static final class Disable implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            setDisabled(options, name, true);
            spec.commandLine().getOut().println("user '" + name + "' disabled");
            return 0;
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable a disabled user.")
    static final class Enable implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            setDisabled(options, name, false);
            spec.commandLine().getOut().println("user '" + name + "' enabled");
            return 0;
        }
    }

    private static void setDisabled(Cli.ConfigOptions options, String name, boolean disabled) {
        change(users(options.load()), name, u -> u.withDisabled(disabled),
                "broker user " + (disabled ? "disable " : "enable ") + name);
    }

    /** Replaces an existing user with {@code change} applied, under the users file's lock. */
    private static void change(UserStore users, String name, java.util.function.UnaryOperator<User> change,
                               String command) {
        users.update(all -> {
            User u = all.get(name);
            if (u == null) {
                throw new IllegalStateException("user '" + name + "' does not exist");
            }
            all.put(name, change.apply(u));
            return all;
        }, Cli.usersChange(command));
    }

    /**
     * Reads a new password and derives what is stored for it; the password is wiped. A SCRAM
     * verifier is derived only if {@code scram} and SCRAM is on ({@code auth.scram.enabled}).
     */
    private static PasswordSecrets newPassword(BrokerConfig config, boolean stdin, boolean scram) {
        char[] password = Cli.readNewPassword(stdin);
        try {
            Argon2id hashing = Argon2id.of(config.auth().passwordHashing());
            return scram && config.auth().scramEnabled()
                    ? PasswordSecrets.derive(password, hashing, config.auth().scramIterations(), Cli.CONTEXT.random())
                    : PasswordSecrets.withoutScram(password, hashing, Cli.CONTEXT.random());
        } finally {
            Arrays.fill(password, '\0');
        }
    }
}
