package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.audit.AuditSettings;
import org.securebroker.server.config.BrokerConfig;

/** {@code broker audit keygen / verify / show} on a data directory with a written log. */
class AuditCommandTest {

    @TempDir
    Path tmp;
    Path data;
    Path audit;
    Path publicKey;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void writeLog() throws Exception {
        data = tmp.resolve("data");
        audit = data.resolve(BrokerConfig.Layout.AUDIT_DIR);
        publicKey = data.resolve(BrokerConfig.Layout.AUDIT_PUBLIC_KEY);
        Run keygen = run("audit", "keygen", "--data", data.toString());
        assertThat(keygen.exit()).as(keygen.err()).isZero();
        assertThat(keygen.out()).contains("audit signing key").contains(publicKey.toString());

        AuditSettings settings = AuditSettings.of(audit,
                AuditKeys.loadPrivate(data.resolve(BrokerConfig.Layout.AUDIT_PRIVATE_KEY)))
                .withCheckpoints(4, Duration.ofHours(1));
        try (AuditLog log = AuditLog.open(settings, Clock.systemUTC())) {
            log.append(AuditEvent.of("broker.start").build());
            log.append(AuditEvent.of("auth.success").principal("alice").mechanism("SCRAM-SHA-256").source("192.0.2.1:5000")
                    .build());
            log.append(AuditEvent.of("auth.failure").principal("bob\n{\"seq\":1}").reason("bad password").build());
            log.append(AuditEvent.of("authz.deny").principal("alice").action("publish").resource("payroll")
                    .decision("deny").rule("deny-payroll").policy("3f9a").build());
            log.append(AuditEvent.of("authz.allow").principal("alice").action("consume").resource("orders")
                    .decision("allow").detail("count", 42).build());
            log.append(AuditEvent.of("broker.stop").build()).join();
        }
    }

    @Test
    void shouldCreateTheKeyOnceAndRefuseToReplaceIt() throws Exception {
        Path privateKey = data.resolve(BrokerConfig.Layout.AUDIT_PRIVATE_KEY);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateKey))).isEqualTo("rw-------");

        Run again = run("audit", "keygen", "--data", data.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("exists already");
    }

    private AuditSettings settings(Path dir) throws Exception {
        return AuditSettings.of(dir, AuditKeys.loadPrivate(data.resolve(BrokerConfig.Layout.AUDIT_PRIVATE_KEY)))
                .withCheckpoints(4, Duration.ofHours(1));
    }

    /**
     * The log of a broker killed (SIGKILL) after two more entries, seq 9-10, and started again: its
     * recovery checkpoint (seq 11) signs them, then seq 12 and the final checkpoint 13.
     */
    private Path killedAndRestarted() throws Exception {
        Path killed = tmp.resolve("killed");
        try (AuditLog log = AuditLog.open(settings(audit), Clock.systemUTC())) {
            log.append(AuditEvent.of("broker.start").build()).join();
            log.append(AuditEvent.of("auth.success").principal("alice").build()).join();
            Files.createDirectories(killed);
            Files.copy(audit.resolve("audit-000001.jsonl"), killed.resolve("audit-000001.jsonl"));
        }
        try (AuditLog log = AuditLog.open(settings(killed), Clock.systemUTC())) {
            assertThat(log.recoveryCheckpoint()).isEqualTo(11);
            log.append(AuditEvent.of("broker.start").build()).join();
        }
        return killed;
    }

    @Test
    void shouldVerifyAnIntactLogAndPrintASummary() {
        Run verify = run("audit", "verify", audit.toString(), "--key", publicKey.toString());

        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).contains("audit log " + audit + ": OK\n").contains("files:           1")
                .contains("entries:         6 and 2 checkpoints, seq 1 to 8")
                .containsPattern("last checkpoint: seq 8 at \\S+Z \\(audit-000001.jsonl:8\\), final")
                .contains("findings:        none").doesNotContain("FINDING").doesNotContain("warning");
    }

    @Test
    void shouldReportTheEntriesARecoveryCheckpointSignedAsAFindingAndExitThree() throws Exception {
        Path killed = killedAndRestarted();

        Run verify = run("audit", "verify", killed.toString(), "--key", publicKey.toString());
        assertThat(verify.exit()).as(verify.out() + verify.err()).isEqualTo(3);
        assertThat(verify.out()).contains("audit log " + killed + ": FINDINGS (verifies, but 1 finding: entries signed "
                        + "only by a later run)")
                .contains("entries:         9 and 4 checkpoints, seq 1 to 13")
                .contains("findings:        1 new (2 entries signed only by a later run)")
                .containsPattern("FINDING: audit-000001.jsonl:11 seq 11: entries 9-10 \\(2 entries\\) were signed by "
                        + "the recovery checkpoint at start \\(\\S+Z\\), not by the run that wrote them \\(unclean stop "
                        + "after \\S+Z\\): while no broker ran, they could have been changed, removed or added without "
                        + "detection \\(SIGNED_BY_RECOVERY\\)");

        Run json = run("audit", "verify", killed.toString(), "--key", publicKey.toString(), "--output", "json");
        JsonNode report = Cli.JSON.readTree(json.out());
        assertThat(json.exit()).isEqualTo(3);
        assertThat(report.get("ok").asBoolean()).isTrue();
        assertThat(report.get("status").asText()).isEqualTo("FINDINGS");
        assertThat(report.get("newFindings").asInt()).isEqualTo(1);
        JsonNode finding = report.get("findings").get(0);
        assertThat(finding.get("kind").asText()).isEqualTo("SIGNED_BY_RECOVERY");
        assertThat(finding.get("seq").asLong()).isEqualTo(11);
        assertThat(finding.get("from").asLong()).isEqualTo(9);
        assertThat(finding.get("to").asLong()).isEqualTo(10);
        assertThat(finding.get("beforeAnchor").asBoolean()).isFalse();
    }

    @Test
    void shouldReportAFindingOnceAndThenAsKnownWithTheAnchorSavedAfterIt() throws Exception {
        Path killed = killedAndRestarted();
        Path anchor = tmp.resolve("auditor/anchor.json");

        Run first = run("audit", "verify", killed.toString(), "--key", publicKey.toString(), "--save-anchor",
                anchor.toString());
        assertThat(first.exit()).as("the log verifies: the anchor is saved, the finding reported").isEqualTo(3);
        assertThat(first.out()).contains("anchor saved to " + anchor + " (checkpoint seq 13)");

        Run next = run("audit", "verify", killed.toString(), "--key", publicKey.toString(), "--anchor", anchor.toString());
        assertThat(next.exit()).as(next.out()).isZero();
        assertThat(next.out()).contains(": OK\n").contains("findings:        none new, 1 reported before the anchor")
                .contains("finding (reported before the anchor): "
                + "audit-000001.jsonl:11 seq 11: entries 9-10");
    }

    @Test
    void shouldExcuseAnUnsignedTailOnlyWhileABrokerWritesTheLog() throws Exception {
        try (AuditLog log = AuditLog.open(settings(audit), Clock.systemUTC())) {
            log.append(AuditEvent.of("broker.start").build()).join();
            log.append(AuditEvent.of("auth.success").principal("alice").build()).join();

            Run strict = run("audit", "verify", audit.toString(), "--key", publicKey.toString());
            assertThat(strict.exit()).isEqualTo(1);
            assertThat(strict.out()).contains("FAILED").contains("audit-000001.jsonl:9 seq 9: 2 entries after the last "
                    + "checkpoint (seq 8) are not signed").contains("(UNSIGNED_TAIL;");

            Run running = run("audit", "verify", audit.toString(), "--key", publicKey.toString(),
                    "--allow-unsigned-tail");
            assertThat(running.exit()).as(running.out()).isZero();
            assertThat(running.out()).contains(": OK\n").contains("unsigned tail:   2 entries after the last checkpoint")
                    .contains("writer:          running (a broker holds " + audit.resolve("audit.lock") + ")")
                    .contains("warning: 2 entries after the last checkpoint (seq 8) are not signed yet (seq 9 to 10): "
                            + "the running broker's next checkpoint signs them");

            Path copy = Files.createDirectories(tmp.resolve("copy"));
            Files.copy(audit.resolve("audit-000001.jsonl"), copy.resolve("audit-000001.jsonl"));
            Run ofCopy = run("audit", "verify", copy.toString(), "--key", publicKey.toString(), "--allow-unsigned-tail");
            assertThat(ofCopy.exit()).as("a copy proves nothing about a running broker").isEqualTo(1);
            assertThat(ofCopy.out()).contains("(UNSIGNED_TAIL;").contains("--allow-unsigned-tail does not excuse it: "
                    + "no broker holds " + copy.resolve("audit.lock"));
        }
    }

    @Test
    void shouldNotExcuseTheUnsignedTailOfAStoppedBroker() throws Exception {
        Path file = audit.resolve("audit-000001.jsonl");
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.subList(0, 7)); // killed before its final checkpoint: seq 6-7 unsigned

        Run stopped = run("audit", "verify", audit.toString(), "--key", publicKey.toString(), "--allow-unsigned-tail");
        assertThat(stopped.exit()).isEqualTo(1);
        assertThat(stopped.out()).contains("FAILED").contains("audit-000001.jsonl:6 seq 6: 2 entries after the last "
                + "checkpoint (seq 5) are not signed").contains("no broker holds " + audit.resolve("audit.lock"))
                .contains("seals the tail with a recovery checkpoint when it starts again");
    }

    @Test
    void shouldStillDetectAnEditOfAnEntryARecoveryCheckpointSigned() throws Exception {
        Path killed = killedAndRestarted();
        Path file = killed.resolve("audit-000001.jsonl");
        List<String> lines = Files.readAllLines(file);
        lines.set(9, lines.get(9).replace("alice", "mallory"));
        Files.write(file, lines);

        Run verify = run("audit", "verify", killed.toString(), "--key", publicKey.toString());
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.out()).contains("FAILED").contains("audit-000001.jsonl:10 seq 10: the entry was changed")
                .contains("EDITED");
    }

    @Test
    void shouldPrintTheFirstBadEntryAndExitOne() throws Exception {
        Path file = audit.resolve("audit-000001.jsonl");
        List<String> lines = Files.readAllLines(file);
        lines.set(3, lines.get(3).replace("deny-payroll", "allow-all"));
        Files.write(file, lines);

        Run verify = run("audit", "verify", audit.toString(), "--key", publicKey.toString());
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.out()).contains("FAILED").contains("audit-000001.jsonl:4 seq 4: the entry was changed after it "
                + "was written").contains("EDITED");
    }

    @Test
    void shouldReportAsJson() throws Exception {
        Run verify = run("audit", "verify", audit.toString(), "--key", publicKey.toString(), "--output", "json");

        JsonNode report = Cli.JSON.readTree(verify.out());
        assertThat(verify.exit()).isZero();
        assertThat(report.get("ok").asBoolean()).isTrue();
        assertThat(report.get("lastCheckpoint").get("seq").asLong()).isEqualTo(8);
        assertThat(report.get("lastCheckpoint").get("final").asBoolean()).isTrue();
    }

    @Test
    void shouldExitTwoForUsageErrors() throws Exception {
        assertThat(run("audit", "verify", audit.toString()).exit()).as("no --key").isEqualTo(2);
        Run noDir = run("audit", "verify", tmp.resolve("nowhere").toString(), "--key", publicKey.toString());
        assertThat(noDir.exit()).isEqualTo(2);
        assertThat(noDir.err()).contains("is not a directory");
        Run badKey = run("audit", "verify", audit.toString(), "--key", tmp.resolve("missing.pub").toString());
        assertThat(badKey.exit()).isEqualTo(2);
        assertThat(badKey.err()).contains("--key");
        Path notAnchor = Files.writeString(tmp.resolve("anchor.json"), "{}");
        assertThat(run("audit", "verify", audit.toString(), "--key", publicKey.toString(), "--anchor",
                notAnchor.toString()).exit()).isEqualTo(2);
    }

    @Test
    void shouldFailWithAKeyThatDidNotSignTheLog() throws Exception {
        Path other = tmp.resolve("other.pub");
        AuditKeys.create(other, tmp.resolve("other.key"), new java.security.SecureRandom());

        Run verify = run("audit", "verify", audit.toString(), "--key", other.toString());
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.out()).contains("audit-000001.jsonl:5 seq 5: the checkpoint is signed with key id");
    }

    @Test
    void shouldSaveAnAnchorAndDetectARollbackWithIt() throws Exception {
        Path old = tmp.resolve("old-audit");
        Files.createDirectories(old);
        Files.copy(audit.resolve("audit-000001.jsonl"), old.resolve("audit-000001.jsonl"));
        AuditSettings settings = AuditSettings.of(audit,
                AuditKeys.loadPrivate(data.resolve(BrokerConfig.Layout.AUDIT_PRIVATE_KEY)));
        try (AuditLog log = AuditLog.open(settings, Clock.systemUTC())) {
            log.append(AuditEvent.of("admin.user.change").principal("admin").resource("mallory").build()).join();
        }
        Path anchor = tmp.resolve("auditor/anchor.json");

        Run save = run("audit", "verify", audit.toString(), "--key", publicKey.toString(), "--save-anchor",
                anchor.toString());
        assertThat(save.exit()).as(save.out() + save.err()).isZero();
        assertThat(save.out()).contains("anchor saved to " + anchor + " (checkpoint seq 10)");

        Run same = run("audit", "verify", audit.toString(), "--key", publicKey.toString(), "--anchor", anchor.toString());
        assertThat(same.exit()).isZero();
        assertThat(same.out()).contains("checkpoint seq 10 of").contains("is present and unchanged");

        Run rolledBack = run("audit", "verify", old.toString(), "--key", publicKey.toString(), "--anchor",
                anchor.toString());
        assertThat(rolledBack.exit()).isEqualTo(1);
        assertThat(rolledBack.out()).contains("ROLLBACK").contains("the log ends at seq 8, before the anchored checkpoint "
                + "(seq 10");
    }

    @Test
    void shouldShowEntriesOnReadableLinesWithFilters() {
        Run show = run("audit", "show", "--data", data.toString(), "--principal", "alice");

        assertThat(show.exit()).as(show.err()).isZero();
        List<String> lines = show.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).contains(" #2 auth.success principal=alice source=192.0.2.1:5000 mechanism=SCRAM-SHA-256");
        assertThat(lines.get(1)).endsWith("authz.deny principal=alice action=publish resource=payroll decision=deny "
                + "rule=deny-payroll policy=3f9a");
        assertThat(lines.get(2)).endsWith("decision=allow count=42");

        Run denies = run("audit", "show", "--dir", audit.toString(), "--event", "authz", "--decision", "deny");
        assertThat(denies.out().lines().toList()).singleElement().asString().contains("#4 authz.deny");
    }

    @Test
    void shouldShowAnInjectedNewlineEscapedOnOneLine() {
        Run show = run("audit", "show", "--dir", audit.toString(), "--event", "auth.failure");

        assertThat(show.out().lines().toList()).singleElement().asString()
                .contains("principal=\"bob\\n{\\\"seq\\\":1}\"");
    }

    @Test
    void shouldShowTheStoredJsonLinesAndTheLastEntriesOnly() throws Exception {
        Run show = run("audit", "show", "--dir", audit.toString(), "--output", "json", "--limit", "2", "--since", "1d");

        List<String> lines = show.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(Cli.JSON.readTree(lines.get(0)).get("type").asText()).isEqualTo("authz.allow");
        assertThat(Cli.JSON.readTree(lines.get(1)).get("type").asText()).isEqualTo("broker.stop");

        Run checkpoints = run("audit", "show", "--dir", audit.toString(), "--event", "checkpoint");
        assertThat(checkpoints.out().lines().toList()).hasSize(2);
        Run future = run("audit", "show", "--dir", audit.toString(), "--since", "2999-01-01");
        assertThat(future.out()).isEmpty();
        assertThat(run("audit", "show", "--dir", audit.toString(), "--since", "yesterday").exit()).isEqualTo(2);
    }
}
