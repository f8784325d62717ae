package org.securebroker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.audit.AuditVerifier;
import org.securebroker.server.config.BrokerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker audit ...}: verifies the signed audit log offline, shows its entries, and creates
 * the audit signing key. docs/audit.md is the auditor's guide.
 *
 * <p>Thread-safety: not thread-safe (command objects are used once).
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Verify and query the tamper-evident audit log (DATA/audit).",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Show.class, AuditCommand.Keygen.class})
final class AuditCommand implements Runnable {

    @Override
    public void run() {
        throw new Cli.UsageException("name an audit command: verify, show, keygen");
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Verify an audit directory: files, sequence, hash chain and checkpoint signatures, and "
                + "report entries that only a later run signed (after an unclean stop) as findings.",
                "Exit 0 if it verifies without new findings, 1 at the first problem (printed as file:line, seq and "
                + "why), 2 for bad usage, 3 if it verifies but has findings after the anchor (all findings without "
                + "--anchor)."})
    static final class Verify implements Callable<Integer> {

        /** The log verifies, and has findings not reported before the anchor. */
        static final int FINDINGS = 3;

        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "DIR", description = "The audit directory (DATA/audit, or a copy of it).")
        Path dir;
        @Option(names = "--key", paramLabel = "PUBLIC_KEY_PEM", required = true,
                description = "An audit public key (PEM) whose signatures are accepted; repeat it for earlier keys.")
        List<Path> keyFiles = new ArrayList<>();
        @Option(names = "--anchor", paramLabel = "FILE",
                description = "A checkpoint saved by an earlier verification: fail if the log no longer contains it "
                        + "unchanged (rolled back or rewritten).")
        Path anchorFile;
        @Option(names = "--save-anchor", paramLabel = "FILE",
                description = "After a successful verification, save the last checkpoint here. Keep it off the "
                        + "broker's host.")
        Path saveAnchor;
        @Option(names = "--allow-unsigned-tail",
                description = "For the live directory of a running broker: entries after the last checkpoint, a last "
                        + "checkpoint that is not final and an incomplete last line are warnings rather than failures, "
                        + "but only while a broker holds DIR/audit.lock. A stopped broker's log, or a copy, still "
                        + "fails.")
        boolean allowUnsignedTail;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json")
        Cli.Output output;

        @Override
        public Integer call() throws IOException {
            if (!Files.isDirectory(dir)) {
                throw new Cli.UsageException(dir + " is not a directory; name the audit directory, e.g. data/audit");
            }
            List<VerifyingKey> keys = new ArrayList<>();
            for (Path file : keyFiles) {
                try {
                    keys.add(AuditKeys.loadPublic(file));
                } catch (IOException e) {
                    throw new Cli.UsageException("--key " + file + ": " + Cli.describe(e));
                }
            }
            AuditVerifier.Anchor anchor = null;
            if (anchorFile != null) {
                try {
                    anchor = AuditVerifier.Anchor.read(anchorFile);
                } catch (IOException e) {
                    throw new Cli.UsageException("--anchor " + anchorFile + ": " + Cli.describe(e));
                }
            }
            AuditVerifier.Report report = AuditVerifier.verify(dir, keys, anchor, allowUnsignedTail);
            PrintWriter out = spec.commandLine().getOut();
            boolean saved = false;
            if (report.ok() && saveAnchor != null) {
                if (report.lastCheckpoint() == null) {
                    spec.commandLine().getErr().println("error: no checkpoint to anchor to; nothing saved");
                    return 1;
                }
                AuditVerifier.Anchor.of(report.lastCheckpoint()).write(saveAnchor);
                saved = true;
            }
            if (output == Cli.Output.JSON) {
                out.println(Cli.JSON.writeValueAsString(json(report, anchor, saved ? saveAnchor : null)));
            } else {
                text(out, report, anchor, saved ? saveAnchor : null);
            }
            return !report.ok() ? 1 : report.newFindings().isEmpty() ? 0 : FINDINGS;
        }

        /** {@code OK}, {@code FINDINGS} (verifies, with new findings) or {@code FAILED}. */
        private static String status(AuditVerifier.Report r) {
            return !r.ok() ? "FAILED" : r.newFindings().isEmpty() ? "OK" : "FINDINGS";
        }

        private static void text(PrintWriter out, AuditVerifier.Report r, AuditVerifier.Anchor anchor, Path saved) {
            int fresh = r.newFindings().size();
            out.println("audit log " + r.dir() + ": " + status(r) + (fresh > 0 ? " (verifies, but " + count(fresh,
                    "finding", "findings") + ": entries signed only by a later run)" : ""));
            if (!r.ok()) {
                out.println("  " + r.problem());
                out.println("  (" + r.problem().kind() + "; read before it: " + count(r.entries(), "entry", "entries")
                        + " and " + count(r.checkpoints(), "checkpoint", "checkpoints") + ")");
            } else {
                out.println("  files:           " + r.files());
                out.println("  entries:         " + r.entries() + " and " + count(r.checkpoints(), "checkpoint",
                        "checkpoints") + ", seq 1 to " + r.lastSeq());
                out.println("  signed by keys:  " + String.join(", ", r.keyIds().stream().sorted().toList()));
                AuditVerifier.Checkpoint c = r.lastCheckpoint();
                if (c != null) {
                    out.println("  last checkpoint: seq " + c.seq() + " at " + c.time() + " (" + c.file() + ":" + c.line()
                            + ")" + (c.isFinal() ? ", final" : ""));
                }
                if (r.unsigned() > 0) {
                    out.println("  unsigned tail:   " + count(r.unsigned(), "entry", "entries") + " after the last "
                            + "checkpoint");
                }
                if (r.writer() == AuditVerifier.WriterState.RUNNING) {
                    out.println("  writer:          running (a broker holds " + r.dir().resolve("audit.lock") + ")");
                }
                if (anchor != null) {
                    out.println("  anchor:          checkpoint seq " + anchor.seq() + " of " + anchor.time()
                            + " is present and unchanged");
                }
                out.println("  findings:        " + findingsSummary(r));
            }
            for (AuditVerifier.Finding f : r.findings()) {
                out.println((f.beforeAnchor() ? "finding (reported before the anchor): " : "FINDING: ") + f + " ("
                        + f.kind() + ")");
            }
            r.warnings().forEach(w -> out.println("warning: " + w));
            if (saved != null) {
                out.println("anchor saved to " + saved + " (checkpoint seq " + r.lastCheckpoint().seq()
                        + "); keep it off the broker's host");
            }
        }

        private static String count(long n, String one, String many) {
            return n + " " + (n == 1 ? one : many);
        }

        /** {@code none}, or how many findings are new and how many entries they concern. */
        private static String findingsSummary(AuditVerifier.Report r) {
            if (r.findings().isEmpty()) {
                return "none";
            }
            List<AuditVerifier.Finding> fresh = r.newFindings();
            long entries = fresh.stream().mapToLong(AuditVerifier.Finding::entries).sum();
            int before = r.findings().size() - fresh.size();
            return (fresh.isEmpty() ? "none new" : fresh.size() + " new (" + count(entries, "entry", "entries")
                    + " signed only by a later run)") + (before > 0 ? ", " + before + " reported before the anchor" : "");
        }

        private static ObjectNode json(AuditVerifier.Report r, AuditVerifier.Anchor anchor, Path saved) {
            ObjectNode n = Cli.JSON.createObjectNode();
            n.put("ok", r.ok());
            n.put("status", status(r));
            n.put("dir", r.dir().toString());
            n.put("files", r.files());
            n.put("entries", r.entries());
            n.put("checkpoints", r.checkpoints());
            n.put("lastSeq", r.lastSeq());
            n.put("unsigned", r.unsigned());
            ArrayNode keys = n.putArray("keyIds");
            r.keyIds().stream().sorted().forEach(keys::add);
            AuditVerifier.Checkpoint c = r.lastCheckpoint();
            if (c != null) {
                ObjectNode last = n.putObject("lastCheckpoint");
                last.put("file", c.file());
                last.put("line", c.line());
                last.put("seq", c.seq());
                last.put("time", c.time().toString());
                last.put("hash", c.hash());
                last.put("keyId", c.keyId());
                last.put("final", c.isFinal());
            }
            if (anchor != null) {
                n.put("anchorSeq", anchor.seq());
            }
            if (r.problem() != null) {
                ObjectNode p = n.putObject("problem");
                p.put("file", r.problem().file());
                p.put("line", r.problem().line());
                p.put("seq", r.problem().seq());
                p.put("kind", r.problem().kind().name());
                p.put("message", r.problem().message());
            }
            n.put("writer", r.writer().name());
            ArrayNode findings = n.putArray("findings");
            for (AuditVerifier.Finding f : r.findings()) {
                ObjectNode o = findings.addObject();
                o.put("file", f.file());
                o.put("line", f.line());
                o.put("seq", f.seq());
                o.put("kind", f.kind().name());
                o.put("from", f.from());
                o.put("to", f.to());
                o.put("entries", f.entries());
                if (f.stoppedAfter() != null) {
                    o.put("stoppedAfter", f.stoppedAfter().toString());
                }
                o.put("beforeAnchor", f.beforeAnchor());
                o.put("message", f.message());
            }
            n.put("newFindings", r.newFindings().size());
            ArrayNode warnings = n.putArray("warnings");
            r.warnings().forEach(warnings::add);
            if (saved != null) {
                n.put("anchorSaved", saved.toString());
            }
            return n;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show audit entries, oldest first, one line each (checkpoints only with --event checkpoint).",
                "It reads, it does not verify: run 'broker audit verify' to know the entries are genuine."})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;
        @Option(names = "--dir", paramLabel = "AUDITDIR", description = "The audit directory (default: DATA/audit).")
        Path auditDir;
        @Option(names = "--principal", paramLabel = "NAME", description = "Only this principal's entries.")
        String principal;
        @Option(names = "--event", paramLabel = "TYPE", description = "An event type or a dotted prefix: "
                + "auth (auth.success, auth.failure), authz.deny, key.*")
        String event;
        @Option(names = "--decision", paramLabel = "DECISION", description = "allow or deny")
        String decision;
        @Option(names = "--since", paramLabel = "WHEN", description = "From this time: an age such as 30d or 12h, "
                + "a date (2025-01-31, UTC) or an instant (2025-01-31T12:00:00Z).")
        String since;
        @Option(names = "--until", paramLabel = "WHEN", description = "Before this time (same forms as --since).")
        String until;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Only the last N matching entries (default: all).")
        int limit;
        @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
                description = "text (one readable line each) or json (the stored JSON lines)")
        Cli.Output output;

        @Override
        public Integer call() throws IOException {
            if (decision != null && !decision.equals("allow") && !decision.equals("deny")) {
                throw new Cli.UsageException("--decision is allow or deny, not '" + decision + "'");
            }
            if (limit < 0) {
                throw new Cli.UsageException("--limit must not be negative");
            }
            Instant now = Cli.CONTEXT.clock().instant();
            AuditReader.Filter filter = AuditReader.Filter.ALL.withPrincipal(principal).withType(event)
                    .withDecision(decision).withTime(Cli.instant("--since", since, now), Cli.instant("--until", until, now));
            boolean checkpoints = event != null && event.equals("checkpoint");
            Path dir = auditDir != null ? auditDir : options.load().audit().dir();
            if (!Files.isDirectory(dir)) {
                throw new Cli.UsageException("no audit directory at " + dir + "; name it with --dir or --data");
            }
            PrintWriter out = spec.commandLine().getOut();
            Deque<AuditEntry> last = new ArrayDeque<>();
            try (Stream<AuditEntry> entries = AuditReader.entries(dir, filter)) {
                entries.filter(e -> checkpoints || !e.isCheckpoint()).forEach(e -> {
                    if (limit == 0) {
                        print(out, e);
                        return;
                    }
                    if (last.size() == limit) {
                        last.removeFirst();
                    }
                    last.addLast(e);
                });
            }
            last.forEach(e -> print(out, e));
            return 0;
        }

        private void print(PrintWriter out, AuditEntry e) {
            out.println(output == Cli.Output.JSON ? e.text() : e.describe());
        }

    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Create the audit signing key: DATA/secrets/audit.key (owner-only) and DATA/tls/audit.pub.",
                "Refuses to replace existing files. Give the public key to auditors."})
    static final class Keygen implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Cli.ConfigOptions options;

        @Override
        public Integer call() throws IOException {
            BrokerConfig.Audit audit = options.load().audit();
            Path privateKey = audit.privateKey();
            Path publicKey = audit.publicKey();
            String keyId;
            try {
                keyId = AuditKeys.create(publicKey, privateKey, Cli.CONTEXT.random());
            } catch (FileAlreadyExistsException e) {
                throw new IllegalStateException(e.getFile() + " exists already; the audit key is not replaced (earlier "
                        + "checkpoints stay verifiable only with the key that signed them)");
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("audit signing key " + keyId + " created");
            out.println("  private key: " + privateKey + " (owner-only; never copy it off the broker's host)");
            out.println("  public key:  " + publicKey + " (give it to auditors: broker audit verify DIR --key FILE)");
            return 0;
        }
    }
}
