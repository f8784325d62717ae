package org.securebroker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.securebroker.server.BrokerContext;
import org.securebroker.server.audit.ChangeNote;
import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;
import picocli.CommandLine.Option;

/**
 * What the commands share: where the configuration comes from, output formats, password input.
 *
 * <p>Thread-safety: not thread-safe (command objects are used once).
 */
final class Cli {

    /** The time, randomness and file system every command uses: the CLI's one reading of the system clock. */
    static final BrokerContext CONTEXT = BrokerContext.system();

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Who runs this command, as the change note beside a file names them ({@code os:NAME}, the
     * operating-system user): a running broker reads it into the audit record of the change.
     */
    static String actor() {
        return "os:" + ProcessHandle.current().info().user().orElse("unknown");
    }

    /** The author of a change of the users file: this command, run by {@link #actor()}. */
    static org.securebroker.server.auth.UserStore.Actor usersChange(String command) {
        return new org.securebroker.server.auth.UserStore.Actor(actor(), command, CONTEXT.clock().instant());
    }

    /** Writes who changes {@code file} beside it just before the file is replaced ({@link ChangeNote}). */
    static org.securebroker.server.integrity.ProducerKeys.BeforeReplace changeNote(Path file, String command) {
        return (before, after) -> new ChangeNote(actor(), command, CONTEXT.clock().instant(), ChangeNote.digest(before),
                ChangeNote.digest(after)).writeFor(file);
    }
    static final int MIN_PASSWORD = 12;

    /** Bad usage: exit code 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** Human or JSON output. */
    enum Output {
        TEXT, JSON
    }

    /** The options that locate the configuration. */
    static final class ConfigOptions {
        @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (default: the embedded "
                + "defaults with --data).")
        Path config;

        @Option(names = "--data", paramLabel = "DIR", description = "Data directory for the embedded defaults "
                + "(default: ./data). Ignored with --config.")
        Path data;

        /**
         * The configuration file, or else the embedded defaults for the data directory; these
         * trust the development token-signing key when {@code broker init} created one.
         */
        BrokerConfig load() {
            if (config != null) {
                return ConfigLoader.load(config);
            }
            BrokerConfig defaults = ConfigLoader.defaults(dataDir());
            Path devKey = dataDir().resolve(BrokerConfig.Layout.JWT_DEV_PUBLIC_KEY);
            if (defaults.auth().jwt() != null || !Files.isRegularFile(devKey)) {
                return defaults;
            }
            return defaults.withAuth(defaults.auth().withJwt(DevTokens.config(devKey)));
        }

        Path dataDir() {
            return data != null ? data : Path.of("data");
        }

        boolean embedded() {
            return config == null;
        }
    }

    private Cli() {
    }

    /** Text from a file or the network as a JSON string literal in 7-bit ASCII, safe to print on a terminal. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /**
     * Parses a time option: an age back from {@code now} ({@code 30d}, {@code 12h}), a UTC date
     * ({@code 2025-01-31}) or an ISO instant; null stays null.
     *
     * @throws UsageException naming the option and the accepted forms
     */
    static java.time.Instant instant(String option, String value, java.time.Instant now) {
        if (value == null) {
            return null;
        }
        if (!value.isEmpty() && Character.isDigit(value.charAt(0)) && !value.contains("-")) {
            return now.minus(duration(option, value));
        }
        try {
            return value.contains("T") ? java.time.Instant.parse(value)
                    : java.time.LocalDate.parse(value).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            throw new UsageException(option + ": '" + value + "' is not an age (30d, 12h), a date (2025-01-31) "
                    + "or an instant (2025-01-31T12:00:00Z)");
        }
    }

    /**
     * Parses a duration option such as {@code 30s}, {@code 15m}, {@code 7d}.
     *
     * @throws UsageException naming the option and what is allowed
     */
    static java.time.Duration duration(String option, String value) {
        try {
            return org.securebroker.server.config.ConfigLoader.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /**
     * Reads a new password: one line from standard input with {@code fromStdin}, else twice from
     * the terminal. Passwords never come from the command line, where other users could see them.
     */
    static char[] readNewPassword(boolean fromStdin) {
        char[] password;
        if (fromStdin) {
            password = readLine();
        } else {
            Console console = terminal();
            if (console == null) {
                throw new UsageException("no terminal to ask for the password; pipe it in with --password-stdin");
            }
            password = console.readPassword("New password: ");
            char[] again = console.readPassword("Repeat it: ");
            if (password == null || again == null || !Arrays.equals(password, again)) {
                throw new UsageException("the passwords do not match");
            }
            Arrays.fill(again, '\0');
        }
        if (password.length < MIN_PASSWORD || password.length > 256) {
            Arrays.fill(password, '\0');
            throw new UsageException("a password has " + MIN_PASSWORD + " to 256 characters");
        }
        return password;
    }

    /**
     * The terminal to ask for a password on, or null when there is none (streams redirected, a
     * background job). On JDK 17, the release this project is built for, {@code System.console()} is
     * null exactly then; JDK 22 to 24 return a console for redirected streams too, and only
     * {@code Console.isTerminal()} (added in JDK 22, so looked up by name) tells the two apart.
     */
    @SuppressWarnings("SystemConsoleNull") // the null check is right on JDK 17; isTerminal() covers newer ones
    static Console terminal() {
        Console console = System.console();
        if (console == null) {
            return null;
        }
        Method isTerminal;
        try {
            isTerminal = Console.class.getMethod("isTerminal");
        } catch (NoSuchMethodException e) {
            return console; // before JDK 22 every console is a terminal
        }
        try {
            return Boolean.TRUE.equals(isTerminal.invoke(console)) ? console : null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot ask the console whether it is a terminal", e);
        }
    }

    private static char[] readLine() {
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                throw new UsageException("--password-stdin: standard input was empty");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw new UsageException("--password-stdin: " + e.getMessage());
        }
    }
}
