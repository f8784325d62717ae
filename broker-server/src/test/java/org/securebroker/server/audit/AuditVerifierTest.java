package org.securebroker.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.server.audit.AuditFixture.file;
import static org.securebroker.server.audit.AuditFixture.hash;
import static org.securebroker.server.audit.AuditFixture.lines;
import static org.securebroker.server.audit.AuditFixture.writeLines;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.protocol.integrity.VerifyingKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.audit.AuditVerifier.ProblemKind;
import org.securebroker.server.audit.AuditVerifier.Report;

/**
 * Every kind of tampering is detected with its own message. The log used by most tests has 20
 * entries and a checkpoint after every 5, so line n holds seq n: entries 1-5, checkpoint 6,
 * entries 7-11, checkpoint 12, ..., checkpoint 24, and the final checkpoint 25.
 */
class AuditVerifierTest {

    @TempDir
    Path tmp;
    Path dir;
    Path log;
    SigningKey key;
    AuditFixture.TestClock clock;
    AuditSettings settings;

    @BeforeEach
    void writeLog() {
        dir = tmp.resolve("audit");
        log = file(dir, 1);
        key = AuditFixture.newKey();
        clock = new AuditFixture.TestClock();
        settings = AuditSettings.of(dir, key).withCheckpoints(5, Duration.ofHours(1));
        AuditFixture.writeLog(settings, clock, 20);
    }

    private Report verify() {
        return verify(dir, null, false);
    }

    private Report verify(Path directory, AuditVerifier.Anchor anchor, boolean allowUnsignedTail) {
        return AuditVerifier.verify(directory, List.of(key.publicKey()), anchor, allowUnsignedTail);
    }

    /** With {@code --allow-unsigned-tail}, as if a broker held (or did not hold) the directory's lock. */
    private Report verifyWithWriter(AuditVerifier.WriterState writer) {
        return AuditVerifier.verify(dir, List.of(key.publicKey()), null, true, () -> writer);
    }

    private void edit(int line, String from, String to) throws Exception {
        List<String> lines = lines(log);
        assertThat(lines.get(line - 1)).contains(from);
        lines.set(line - 1, lines.get(line - 1).replace(from, to));
        writeLines(log, lines);
    }

    private static void assertProblem(Report report, ProblemKind kind, String file, long line, long seq, String... texts) {
        assertThat(report.ok()).as("the report should fail").isFalse();
        assertThat(report.problem().kind()).as(report.problem().toString()).isEqualTo(kind);
        assertThat(report.problem().file()).isEqualTo(file);
        assertThat(report.problem().line()).isEqualTo(line);
        assertThat(report.problem().seq()).isEqualTo(seq);
        assertThat(report.problem().message()).contains(texts);
    }

    @Test
    void shouldVerifyAnUntouchedLog() throws Exception {
        Report report = verify();

        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.files()).isEqualTo(1);
        assertThat(report.entries()).isEqualTo(20);
        assertThat(report.checkpoints()).isEqualTo(5);
        assertThat(report.lastSeq()).isEqualTo(25);
        assertThat(report.lastCheckpoint().seq()).isEqualTo(25);
        assertThat(report.lastCheckpoint().isFinal()).isTrue();
        assertThat(report.lastCheckpoint().hash()).isEqualTo(hash(lines(log).get(24)));
        assertThat(report.keyIds()).containsExactly(settings.keyId());
        assertThat(report.warnings()).isEmpty();
    }

    @Test
    void shouldVerifyALogThatRotatedAcrossManyFiles() throws Exception {
        Path rotated = tmp.resolve("rotated");
        AuditFixture.writeLog(AuditSettings.of(rotated, key).withRotation(4096, Duration.ofDays(1)), clock, 80);

        Report report = verify(rotated, null, false);
        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.files()).isGreaterThan(3);
        assertThat(report.entries()).isEqualTo(80);
    }

    @Test
    void shouldAcceptCheckpointsOfAnEarlierKeyWhenItIsGiven() {
        SigningKey next = AuditFixture.newKey();
        AuditFixture.writeLog(AuditSettings.of(dir, next), clock, 3);
        List<VerifyingKey> both = List.of(key.publicKey(), next.publicKey());

        Report report = AuditVerifier.verify(dir, both, null, false);
        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.keyIds()).containsExactlyInAnyOrder(settings.keyId(), next.id());
    }

    @Test
    void shouldDetectAnEditedEntryAtTheEntryItself() throws Exception {
        edit(3, "\"principal\":\"user2\"", "\"principal\":\"admin\"");

        assertProblem(verify(), ProblemKind.EDITED, "audit-000001.jsonl", 3, 3, "changed after it was written",
                "seq 4, audit-000001.jsonl:4");
    }

    @Test
    void shouldDetectAnEditedEntryJustBeforeACheckpoint() throws Exception {
        edit(5, "\"source\":\"192.0.2.4:5000\"", "\"source\":\"10.0.0.1:5000\"");

        assertProblem(verify(), ProblemKind.EDITED, "audit-000001.jsonl", 5, 5, "changed after it was written");
    }

    @Test
    void shouldDetectAnEditedCheckpointByItsSignature() throws Exception {
        edit(12, "\"entries\":5", "\"entries\":4");

        assertProblem(verify(), ProblemKind.BAD_SIGNATURE, "audit-000001.jsonl", 12, 12, "signature does not verify",
                settings.keyId());
    }

    @Test
    void shouldDetectADeletedEntry() throws Exception {
        List<String> lines = lines(log);
        lines.remove(2);
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.DELETED, "audit-000001.jsonl", 3, 4, "seq 3 is missing", "deleted");
    }

    @Test
    void shouldDetectSeveralDeletedEntries() throws Exception {
        List<String> lines = lines(log);
        lines.subList(6, 9).clear(); // seq 7, 8, 9

        writeLines(log, lines);
        assertProblem(verify(), ProblemKind.DELETED, "audit-000001.jsonl", 7, 10, "seq 7 to 9 (3 entries) are missing");
    }

    @Test
    void shouldDetectAnInsertedLineThatIsNotChained() throws Exception {
        List<String> lines = lines(log);
        lines.add(3, "{\"seq\":100,\"time\":\"2026-11-27T12:00:00.000Z\",\"type\":\"admin.user.change\","
                + "\"principal\":\"mallory\",\"prev\":\"" + "1".repeat(64) + "\"}");
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.INSERTED, "audit-000001.jsonl", 4, 100, "was inserted",
                "continues from seq 3");
    }

    @Test
    void shouldDetectAnInsertedEntryThatChainsToItsPredecessor() throws Exception {
        List<String> lines = lines(log);
        lines.add(3, "{\"seq\":4,\"time\":\"2026-11-27T12:00:00.000Z\",\"type\":\"admin.user.change\","
                + "\"principal\":\"mallory\",\"prev\":\"" + hash(lines.get(2)) + "\"}");
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.INSERTED, "audit-000001.jsonl", 5, 4, "seq 4 appears twice",
                "audit-000001.jsonl:4");
    }

    @Test
    void shouldDetectReorderedEntries() throws Exception {
        List<String> lines = lines(log);
        String third = lines.get(2);
        lines.set(2, lines.get(3));
        lines.set(3, third);
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.REORDERED, "audit-000001.jsonl", 3, 4, "out of order",
                "seq 4 comes after seq 2", "before seq 3 (audit-000001.jsonl:4)");
    }

    @Test
    void shouldDetectAnEntryMovedFurtherBack() throws Exception {
        List<String> lines = lines(log);
        String moved = lines.remove(8); // seq 9
        lines.add(1, moved);
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.REORDERED, "audit-000001.jsonl", 2, 9, "out of order");
    }

    @Test
    void shouldDetectATruncatedTail() throws Exception {
        List<String> lines = lines(log);
        writeLines(log, lines.subList(0, 22)); // ends with seq 22: 19-22 after checkpoint 18

        assertProblem(verify(), ProblemKind.UNSIGNED_TAIL, "audit-000001.jsonl", 19, 19,
                "4 entries after the last checkpoint (seq 18) are not signed");
    }

    @Test
    void shouldWarnAboutTheUnsignedTailOfARunningBrokersLog() throws Exception {
        writeLines(log, lines(log).subList(0, 22));

        Report report = verifyWithWriter(AuditVerifier.WriterState.RUNNING);
        assertThat(report.ok()).isTrue();
        assertThat(report.unsigned()).isEqualTo(4);
        assertThat(report.writer()).isEqualTo(AuditVerifier.WriterState.RUNNING);
        assertThat(report.warnings()).singleElement().asString()
                .contains("4 entries after the last checkpoint (seq 18) are not signed yet (seq 19 to 22)");
    }

    @Test
    void shouldNotExcuseTheUnsignedTailOfAStoppedBrokersLog() throws Exception {
        writeLines(log, lines(log).subList(0, 22));

        Report report = verifyWithWriter(AuditVerifier.WriterState.NOT_RUNNING);
        assertProblem(report, ProblemKind.UNSIGNED_TAIL, "audit-000001.jsonl", 19, 19,
                "4 entries after the last checkpoint (seq 18) are not signed",
                "--allow-unsigned-tail does not excuse it: no broker holds " + dir.resolve("audit.lock"),
                "seals the tail with a recovery checkpoint when it starts again");
        assertThat(verifyWithWriter(AuditVerifier.WriterState.UNKNOWN).problem().message())
                .contains("cannot be told");
    }

    @Test
    void shouldNotExcuseTheTailWhenNobodyHoldsTheLockOrOfACopy() throws Exception {
        writeLines(log, lines(log).subList(0, 22));
        assertThat(dir.resolve("audit.lock")).as("left by the writer that closed").exists();

        Report report = verify(dir, null, true);
        assertThat(report.writer()).isEqualTo(AuditVerifier.WriterState.NOT_RUNNING);
        assertThat(report.problem().kind()).isEqualTo(ProblemKind.UNSIGNED_TAIL);

        Path copy = Files.createDirectories(tmp.resolve("copy"));
        Files.copy(log, file(copy, 1));
        Report ofCopy = verify(copy, null, true);
        assertThat(ofCopy.writer()).isEqualTo(AuditVerifier.WriterState.NOT_RUNNING);
        assertThat(ofCopy.problem().kind()).isEqualTo(ProblemKind.UNSIGNED_TAIL);
    }

    @Test
    void shouldExcuseTheTailWhileTheLogIsOpenForWriting() throws Exception {
        try (AuditLog open = AuditLog.open(settings, clock)) {
            open.append(AuditFixture.event(1)).join();

            Report report = verify(dir, null, true);
            assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
            assertThat(report.writer()).isEqualTo(AuditVerifier.WriterState.RUNNING);
            assertThat(report.unsigned()).isEqualTo(1);
            assertThat(verify(dir, null, false).problem().kind()).isEqualTo(ProblemKind.UNSIGNED_TAIL);
        }
        assertThat(verify(dir, null, true).ok()).as("closed: ends with its final checkpoint").isTrue();
    }

    @Test
    void shouldRefuseALogThatEndsWithACheckpointThatIsNotFinalUnlessTheBrokerRuns() throws Exception {
        writeLines(log, lines(log).subList(0, 24));

        Report report = verify();
        assertThat(report.ok()).isFalse();
        assertThat(report.problem().kind()).isEqualTo(ProblemKind.NOT_FINAL);
        assertThat(report.problem().message()).contains("not a final one");
        Report running = verifyWithWriter(AuditVerifier.WriterState.RUNNING);
        assertThat(running.ok()).isTrue();
        assertThat(running.warnings()).singleElement().asString().contains("not a final one");
        Report stopped = verifyWithWriter(AuditVerifier.WriterState.NOT_RUNNING);
        assertThat(stopped.problem().kind()).isEqualTo(ProblemKind.NOT_FINAL);
        assertThat(stopped.problem().message()).contains("no broker holds");
    }

    @Test
    void shouldReportALogWithoutAnyCheckpoint() throws Exception {
        writeLines(log, lines(log).subList(0, 4));

        assertProblem(verify(), ProblemKind.UNSIGNED_TAIL, "audit-000001.jsonl", 1, 1,
                "4 entries and no checkpoint: nothing in the log is signed");
    }

    @Test
    void shouldDetectATornLastLine() throws Exception {
        Files.writeString(log, "{\"seq\":26,\"time\":\"2026-11-27T12:", StandardOpenOption.APPEND);

        assertProblem(verify(), ProblemKind.TORN_LINE, "audit-000001.jsonl", 26, -1, "incomplete (no newline)");
        Report running = verifyWithWriter(AuditVerifier.WriterState.RUNNING);
        assertThat(running.ok()).isTrue();
        assertThat(running.warnings()).singleElement().asString().contains("audit-000001.jsonl:26");
        assertProblem(verifyWithWriter(AuditVerifier.WriterState.NOT_RUNNING), ProblemKind.TORN_LINE,
                "audit-000001.jsonl", 26, -1, "incomplete (no newline)", "no broker holds");
    }

    @Test
    void shouldDetectAMissingMiddleFile() throws Exception {
        Path rotated = tmp.resolve("rotated");
        AuditFixture.writeLog(AuditSettings.of(rotated, key).withRotation(4096, Duration.ofDays(1)), clock, 60);
        Files.delete(file(rotated, 2));

        assertProblem(verify(rotated, null, false), ProblemKind.MISSING_FILE, "audit-000003.jsonl", 0, -1,
                "audit-000002.jsonl is missing between audit-000001.jsonl and audit-000003.jsonl");
    }

    @Test
    void shouldDetectAMissingFirstFile() throws Exception {
        Path rotated = tmp.resolve("rotated");
        AuditFixture.writeLog(AuditSettings.of(rotated, key).withRotation(4096, Duration.ofDays(1)), clock, 60);
        Files.delete(file(rotated, 1));

        assertProblem(verify(rotated, null, false), ProblemKind.MISSING_FIRST_FILE, "audit-000002.jsonl", 0, -1,
                "audit-000001.jsonl is missing");
    }

    @Test
    void shouldDetectAMiddleFileCutAtItsEnd() throws Exception {
        Path rotated = tmp.resolve("rotated");
        AuditFixture.writeLog(AuditSettings.of(rotated, key).withRotation(4096, Duration.ofDays(1)), clock, 60);
        List<String> first = lines(file(rotated, 1));
        writeLines(file(rotated, 1), first.subList(0, first.size() - 2));

        Report report = verify(rotated, null, false);
        assertThat(report.problem().kind()).isEqualTo(ProblemKind.DELETED);
        assertThat(report.problem().file()).isEqualTo("audit-000002.jsonl");
        assertThat(report.problem().line()).isEqualTo(1);
    }

    @Test
    void shouldDetectRemovedFirstEntries() throws Exception {
        writeLines(log, lines(log).subList(2, 25));

        assertProblem(verify(), ProblemKind.MISSING_START, "audit-000001.jsonl", 1, 3, "starts with seq 3");
    }

    @Test
    void shouldDetectARollbackToAnOlderCopyWithAnAnchor() throws Exception {
        Path old = tmp.resolve("old");
        Files.createDirectories(old);
        Files.copy(log, file(old, 1));
        AuditFixture.writeLog(settings, clock, 10);

        Report current = verify();
        assertThat(current.ok()).isTrue();
        Path anchorFile = tmp.resolve("auditor/anchor.json");
        AuditVerifier.Anchor.of(current.lastCheckpoint()).write(anchorFile);
        AuditVerifier.Anchor anchor = AuditVerifier.Anchor.read(anchorFile);
        assertThat(anchor.seq()).isEqualTo(38);

        assertThat(verify(dir, anchor, false).ok()).isTrue();
        Report rolledBack = verify(old, anchor, false);
        assertThat(verify(old, null, false).ok()).as("the old copy verifies on its own").isTrue();
        assertProblem(rolledBack, ProblemKind.ROLLBACK, "audit-000001.jsonl", 25, 25, "ends at seq 25",
                "before the anchored checkpoint (seq 38", "rolled back");
    }

    @Test
    void shouldDetectALogRewrittenAfterTheAnchorWasSaved() throws Exception {
        AuditVerifier.Anchor anchor = AuditVerifier.Anchor.of(verify().lastCheckpoint());
        // the whole log written again with the real key (a stolen key, or the broker rewriting history)
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        clock.advance(Duration.ofMinutes(1));
        AuditFixture.writeLog(settings, clock, 20);

        assertThat(verify().ok()).isTrue();
        assertProblem(verify(dir, anchor, false), ProblemKind.ROLLBACK, "audit-000001.jsonl", 25, 25,
                "not the anchored checkpoint", "rewritten");
    }

    @Test
    void shouldDetectACheckpointWithAnotherCheckpointsSignature() throws Exception {
        List<String> lines = lines(log);
        String sixth = lines.get(5);
        String otherSig = sixth.substring(sixth.indexOf(",\"sig\":\"") + 8, sixth.length() - 2);
        String twelfth = lines.get(11);
        lines.set(11, twelfth.substring(0, twelfth.indexOf(",\"sig\":\"") + 8) + otherSig + "\"}");
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.BAD_SIGNATURE, "audit-000001.jsonl", 12, 12, "signature does not verify");
    }

    @Test
    void shouldDetectCheckpointsSignedWithAnUnknownKey() {
        SigningKey other = AuditFixture.newKey();

        Report report = AuditVerifier.verify(dir, List.of(other.publicKey()), null, false);
        assertProblem(report, ProblemKind.UNKNOWN_KEY, "audit-000001.jsonl", 6, 6, "key id " + settings.keyId(),
                other.id());
    }

    @Test
    void shouldDetectACheckpointSignedByAnotherKeyUnderTheSameId() throws Exception {
        Path forged = tmp.resolve("forged");
        SigningKey attacker = AuditFixture.newKey();
        AuditFixture.writeLog(AuditSettings.of(forged, attacker), clock, 2);
        Path file = file(forged, 1);
        String attackerId = attacker.id();
        writeLines(file, lines(file).stream().map(l -> l.replace(attackerId, settings.keyId())).toList());

        Report report = verify(forged, null, false);
        assertThat(report.problem().kind()).isEqualTo(ProblemKind.BAD_SIGNATURE);
    }

    @Test
    void shouldReportALineThatIsNotJson() throws Exception {
        List<String> lines = lines(log);
        lines.set(2, "{\"seq\":3, this is not json");
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.MALFORMED, "audit-000001.jsonl", 3, -1, "not valid JSON");
    }

    @Test
    void shouldReportALineWithoutARequiredMember() throws Exception {
        List<String> lines = lines(log);
        String third = lines.get(2);
        lines.set(2, third.substring(0, third.indexOf(",\"prev\":")) + "}");
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.MALFORMED, "audit-000001.jsonl", 3, -1, "no 'prev' member");
    }

    @Test
    void shouldReportADuplicatedMember() throws Exception {
        edit(3, "\"principal\":\"user2\"", "\"principal\":\"user2\",\"principal\":\"admin\"");

        assertProblem(verify(), ProblemKind.MALFORMED, "audit-000001.jsonl", 3, -1, "Duplicate field 'principal'");
    }

    @Test
    void shouldReportASignatureOnAnEntryThatIsNotACheckpoint() throws Exception {
        List<String> lines = lines(log);
        String third = lines.get(2);
        lines.set(2, third.substring(0, third.length() - 1) + ",\"sig\":\"" + "A".repeat(86) + "\"}");
        writeLines(log, lines);

        assertProblem(verify(), ProblemKind.MALFORMED, "audit-000001.jsonl", 3, -1, "only a checkpoint carries 'sig'");
    }

    @Test
    void shouldReportAMissingDirectoryOrNoFiles() throws Exception {
        assertThat(verify(tmp.resolve("nowhere"), null, false).problem().kind()).isEqualTo(ProblemKind.NO_LOG);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThat(verify(empty, null, false).problem().message()).contains("no audit files");
    }

    @Test
    void shouldVerifyTheSignatureOverTheDocumentedBytes() throws Exception {
        // docs/audit.md: the signature covers the line without ,"sig":"..." and with the closing brace
        String checkpoint = lines(log).get(5);
        int at = checkpoint.indexOf(",\"sig\":\"");
        byte[] signed = (checkpoint.substring(0, at) + "}").getBytes(StandardCharsets.US_ASCII);
        byte[] sig = java.util.Base64.getUrlDecoder().decode(checkpoint.substring(at + 8, checkpoint.length() - 2));

        org.bouncycastle.crypto.signers.Ed25519Signer verifier = new org.bouncycastle.crypto.signers.Ed25519Signer();
        verifier.init(false, new org.bouncycastle.crypto.params.Ed25519PublicKeyParameters(key.publicKey().rawBytes(), 0));
        verifier.update(signed, 0, signed.length);
        assertThat(verifier.verifySignature(sig)).isTrue();
        List<String> copy = new ArrayList<>(lines(log));
        assertThat(copy.get(6)).contains("\"prev\":\"" + hash(checkpoint) + "\"");
    }
}
