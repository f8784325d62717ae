package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.securebroker.cli.check.CheckContext;
import org.securebroker.cli.check.Finding;
import org.securebroker.cli.check.SecurityChecks;
import org.securebroker.cli.check.Severity;
import org.securebroker.server.config.BrokerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code broker check}: the routine security check. It examines the configuration and the data
 * directory offline, whether the broker runs or not (with the broker stopped it also opens the
 * store, which runs the store's recovery as the next start would: see {@link
 * org.securebroker.cli.check.StoreCheck}), with the checks of
 * {@link SecurityChecks#standard}, and prints each finding with its severity, id, subject, what
 * was found and how to fix it.
 *
 * <p>Exit codes: 0 when no finding is high, 1 when one is, 2 for bad usage or configuration
 * (so it can gate cron jobs and CI).
 *
 * <p>Thread-safety: a command object, used once.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check the configuration and the data directory for security problems, offline: TLS material, "
            + "key files and their ages, users, the authorization policy, the audit log, the queues' data (the queue "
            + "catalog; with the broker stopped, the store's logs) and free disk space.",
            "Exits 0 when no finding is high severity, 1 when at least one is, 2 for bad usage or configuration."})
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    Cli.ConfigOptions options;
    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
    Cli.Output output;
    @Option(names = "--expiry-warning", paramLabel = "AGE", defaultValue = "30d", description = "Certificates "
            + "expiring within this are medium findings; within 7 days, high (default: ${DEFAULT-VALUE}).")
    String expiryWarning;
    @Option(names = "--key-max-age", paramLabel = "AGE", defaultValue = "365d", description = "Keys older than this "
            + "should be rotated (default: ${DEFAULT-VALUE}).")
    String keyMaxAge;
    @Option(names = "--stale-after", paramLabel = "AGE", defaultValue = "90d", description = "Users without a "
            + "successful login in the audit log for this long are stale (default: ${DEFAULT-VALUE}).")
    String staleAfter;
    @Option(names = "--unused-since", paramLabel = "WHEN", defaultValue = "30d", description = "Grants the audit log "
            + "shows unused since then are candidates to remove: an age, a date (2026-01-31, UTC) or an instant "
            + "(default: ${DEFAULT-VALUE}).")
    String unusedSince;

    private final Clock clock = Cli.CONTEXT.clock();

    @Override
    public Integer call() throws IOException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        CheckContext.Thresholds thresholds = new CheckContext.Thresholds(
                Cli.duration("--expiry-warning", expiryWarning), Cli.duration("--key-max-age", keyMaxAge),
                Cli.duration("--stale-after", staleAfter), Cli.instant("--unused-since", unusedSince, now));
        if (options.embedded() && !Files.isDirectory(options.dataDir())) {
            throw new Cli.UsageException("no data directory at " + options.dataDir() + "; name it with --data or "
                    + "--config ('broker init' creates one)");
        }
        BrokerConfig config = options.load();
        if (!Files.isDirectory(config.dataDir())) {
            throw new Cli.UsageException("the data directory " + config.dataDir() + " does not exist");
        }
        SecurityChecks.Report report = SecurityChecks.standard(Cli.CONTEXT).run(new CheckContext(config, now, thresholds,
                System.getenv()));
        PrintWriter out = spec.commandLine().getOut();
        if (output == Cli.Output.JSON) {
            out.println(Cli.JSON.writeValueAsString(json(report)));
        } else {
            text(out, report, config, now);
        }
        return report.hasHigh() ? 1 : 0;
    }

    private static void text(PrintWriter out, SecurityChecks.Report report, BrokerConfig config, Instant now) {
        out.println("broker check of " + config.dataDir().toAbsolutePath() + " at " + now + ": " + summary(report));
        for (Finding f : report.findings()) {
            out.println();
            out.println(String.format(Locale.ROOT, "%-6s  %s  %s", f.severity().name(), f.id(), f.subject()));
            out.println("  " + f.finding());
            if (f.fix() != null) {
                out.println("  fix: " + f.fix());
            }
        }
    }

    private static String summary(SecurityChecks.Report report) {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<Severity, Integer> e : report.summary().entrySet()) {
            s.append(s.length() == 0 ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey().wireName());
        }
        return s.toString();
    }

    private static ObjectNode json(SecurityChecks.Report report) {
        ObjectNode root = Cli.JSON.createObjectNode();
        ArrayNode findings = root.putArray("findings");
        for (Finding f : report.findings()) {
            findings.addObject().put("severity", f.severity().wireName()).put("id", f.id()).put("subject", f.subject())
                    .put("finding", f.finding()).put("fix", f.fix());
        }
        ObjectNode summary = root.putObject("summary");
        report.summary().forEach((severity, count) -> summary.put(severity.wireName(), count));
        return root;
    }
}
