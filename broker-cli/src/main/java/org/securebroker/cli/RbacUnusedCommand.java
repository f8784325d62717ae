package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.securebroker.server.access.GrantUsage;
import org.securebroker.server.rbac.Grant;
import org.securebroker.server.rbac.Policy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code broker rbac unused}: the allow grants of the policy that the audit log shows were never
 * exercised in a window, as candidates to remove (privilege creep). A grant counts as exercised
 * when an {@code authz.allow} entry in the window, decided under the same policy version, names
 * its rule id as the deciding rule ({@link GrantUsage}, which {@code broker check} shares).
 *
 * <p>Thread-safety: a command object, used once.
 */
@Command(name = "unused", mixinStandardHelpOptions = true,
        description = {"List the allow grants the audit log shows were never used since a time: candidates to remove.",
            "A grant is used when an allow it decided was audited. Exits 0 when it could answer, 1 when the policy or "
                + "the audit log cannot be read."})
final class RbacUnusedCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    RbacCommand.Sources sources;
    @Option(names = "--since", required = true, paramLabel = "WHEN", description = "The window's start: an age such as "
            + "30d, a date (2026-01-31, UTC) or an instant (2026-01-31T12:00:00Z).")
    String since;
    @Option(names = "--dir", paramLabel = "AUDITDIR", description = "The audit directory (default: the configuration's "
            + "audit.dir, DATA/audit).")
    Path auditDir;
    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
    Cli.Output output;

    @Override
    public Integer call() throws IOException {
        Instant now = Cli.CONTEXT.clock().instant();
        Instant from = Cli.instant("--since", since, now);
        Policy policy = sources.load();
        Path dir = auditDir != null ? auditDir : sources.brokerConfig().audit().dir();
        if (!Files.isDirectory(dir)) {
            throw new Cli.UsageException("no audit directory at " + dir + "; name it with --dir, --config or --data");
        }
        GrantUsage usage = GrantUsage.read(policy, dir, from);
        Map<String, Long> uses = usage.uses();
        List<Grant> unused = usage.unused();
        long otherVersions = usage.allowsUnderOtherVersions();
        Instant firstEntry = usage.auditStarts();
        boolean partial = !usage.windowCovered();
        PrintWriter out = spec.commandLine().getOut();
        if (output == Cli.Output.JSON) {
            ObjectNode root = Cli.JSON.createObjectNode();
            root.put("policy", policy.version());
            root.put("since", from.toString());
            root.put("auditStarts", firstEntry == null ? null : firstEntry.toString());
            root.put("windowCovered", !partial);
            root.put("allowsUnderOtherPolicyVersions", otherVersions);
            ArrayNode grants = root.putArray("unused");
            for (Grant g : unused) {
                grants.addObject().put("rule", g.ruleId()).put("role", g.role()).put("grant", g.text());
            }
            ObjectNode used = root.putObject("used");
            policy.grants().stream().filter(g -> uses.containsKey(g.ruleId()))
                    .forEach(g -> used.put(g.ruleId(), uses.get(g.ruleId())));
            out.println(Cli.JSON.writeValueAsString(root));
            return 0;
        }
        out.println("policy " + policy.version() + ": " + unused.size() + " of " + policy.grants().size()
                + " allow grants unused since " + from);
        if (partial) {
            out.println("note: the audit log " + (firstEntry == null ? "is empty" : "starts at " + firstEntry)
                    + ", after the window's start; grants may have been used before it");
        }
        if (otherVersions > 0) {
            out.println("note: " + otherVersions + " allow entries in the window were decided under other policy "
                    + "versions and are not counted; a grant used only before the last policy change is listed");
        }
        for (Grant g : unused) {
            out.printf("  %-32s %s%n", g.ruleId(), g.text());
        }
        return 0;
    }
}
