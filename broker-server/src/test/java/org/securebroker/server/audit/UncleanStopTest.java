package org.securebroker.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securebroker.server.audit.AuditFixture.event;
import static org.securebroker.server.audit.AuditFixture.file;
import static org.securebroker.server.audit.AuditFixture.hash;
import static org.securebroker.server.audit.AuditFixture.lines;
import static org.securebroker.server.audit.AuditFixture.writeLines;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.audit.AuditVerifier.FindingKind;
import org.securebroker.server.audit.AuditVerifier.ProblemKind;
import org.securebroker.server.audit.AuditVerifier.Report;

/**
 * A run killed with entries it had not signed, and the next run's recovery checkpoint: the
 * verifier reports the entries it sealed as a finding, anchors tell old findings from new ones,
 * and tampering with the recovered entries or the checkpoint is still detected. The log: seq 1-3,
 * checkpoint 4, seq 5-6 (unsigned when the first run is killed at 12:00), then the recovery
 * checkpoint 7 at 12:05, seq 8 and the final checkpoint 9.
 */
class UncleanStopTest {

    @TempDir
    Path tmp;
    Path dir;
    SigningKey key;
    AuditFixture.TestClock clock;

    @BeforeEach
    void killAndRestart() throws Exception {
        Path first = tmp.resolve("first");
        dir = tmp.resolve("audit");
        key = AuditFixture.newKey();
        clock = new AuditFixture.TestClock();
        try (AuditLog log = AuditLog.open(AuditSettings.of(first, key).withCheckpoints(3, Duration.ofHours(1)), clock)) {
            AuditFixture.appendAll(log, 5);
            Files.createDirectories(dir);
            Files.copy(file(first, 1), file(dir, 1)); // what SIGKILL leaves on disk
        }
        clock.advance(Duration.ofMinutes(5));
        try (AuditLog log = AuditLog.open(AuditSettings.of(dir, key).withCheckpoints(3, Duration.ofHours(1)), clock)) {
            log.append(event(9)).join();
        }
    }

    private Report verify(AuditVerifier.Anchor anchor) {
        return AuditVerifier.verify(dir, List.of(key.publicKey()), anchor, false);
    }

    private static AuditVerifier.Anchor anchorAt(Path file, int line, long seq) throws Exception {
        return new AuditVerifier.Anchor(file.getFileName().toString(), seq, hash(lines(file).get(line - 1)),
                Instant.parse("2026-11-27T12:00:00Z"));
    }

    @Test
    void shouldReportTheEntriesTheRecoveryCheckpointSignedAsAFinding() {
        Report report = verify(null);

        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.entries()).isEqualTo(6);
        assertThat(report.findings()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(FindingKind.SIGNED_BY_RECOVERY);
            assertThat(f.file()).isEqualTo("audit-000001.jsonl");
            assertThat(f.line()).isEqualTo(7);
            assertThat(f.seq()).isEqualTo(7);
            assertThat(f.from()).isEqualTo(5);
            assertThat(f.to()).isEqualTo(6);
            assertThat(f.entries()).isEqualTo(2);
            assertThat(f.stoppedAfter()).isEqualTo(Instant.parse("2026-11-27T12:00:00Z"));
            assertThat(f.beforeAnchor()).isFalse();
            assertThat(f.toString()).isEqualTo("audit-000001.jsonl:7 seq 7: entries 5-6 (2 entries) were signed by the "
                    + "recovery checkpoint at start (2026-11-27T12:05:00.000Z), not by the run that wrote them (unclean "
                    + "stop after 2026-11-27T12:00:00.000Z): while no broker ran, they could have been changed, "
                    + "removed or added without detection");
        });
        assertThat(report.newFindings()).hasSize(1);
        assertThat(report.warnings()).isEmpty();
    }

    @Test
    void shouldCountAFindingAsReportedBeforeOnlyWhenTheAnchorIsAtOrAfterIt() throws Exception {
        Path log = file(dir, 1);
        Report sinceEarlier = verify(anchorAt(log, 4, 4));
        assertThat(sinceEarlier.ok()).isTrue();
        assertThat(sinceEarlier.newFindings()).as("the anchor predates the unclean stop").hasSize(1);

        Report sinceRecovery = verify(anchorAt(log, 7, 7));
        assertThat(sinceRecovery.ok()).as(String.valueOf(sinceRecovery.problem())).isTrue();
        assertThat(sinceRecovery.findings()).singleElement().satisfies(f -> assertThat(f.beforeAnchor()).isTrue());
        assertThat(sinceRecovery.newFindings()).isEmpty();
    }

    @Test
    void shouldStillDetectAnEditOfARecoveredEntry() throws Exception {
        Path log = file(dir, 1);
        List<String> lines = lines(log);
        assertThat(lines.get(5)).contains("\"principal\":\"user1\"");
        lines.set(5, lines.get(5).replace("\"principal\":\"user1\"", "\"principal\":\"admin\""));
        writeLines(log, lines);

        Report report = verify(null);
        assertThat(report.problem().kind()).isEqualTo(ProblemKind.EDITED);
        assertThat(report.problem().seq()).isEqualTo(6);
    }

    @Test
    void shouldDetectAnEditedOrRemovedRecoveryCheckpoint() throws Exception {
        Path log = file(dir, 1);
        List<String> original = lines(log);
        List<String> edited = new ArrayList<>(original);
        edited.set(6, edited.get(6).replace("\"from\":5", "\"from\":6").replace("\"entries\":2", "\"entries\":1"));
        writeLines(log, edited);
        assertThat(verify(null).problem().kind()).isEqualTo(ProblemKind.BAD_SIGNATURE);

        List<String> removed = new ArrayList<>(original);
        removed.remove(6);
        writeLines(log, removed);
        assertThat(verify(null).problem().kind()).isEqualTo(ProblemKind.DELETED);

        List<String> unmarked = new ArrayList<>(original);
        unmarked.set(6, unmarked.get(6).replace("\"recovered\":true", "\"recovered\":false"));
        writeLines(log, unmarked);
        Report report = verify(null);
        assertThat(report.problem().kind()).isEqualTo(ProblemKind.MALFORMED);
        assertThat(report.problem().message()).contains("details.recovered is true or absent");
    }

    @Test
    void shouldRefuseARecoveryCheckpointWhoseRangeIsNotTheEntriesItSeals() throws Exception {
        Path log = file(dir, 1);
        List<String> lines = lines(log).subList(0, 6);
        EntryEncoder encoder = new EntryEncoder(key, key.id(), hash(lines.get(5)));
        encoder.recoveryCheckpoint(7, clock.instant(), new UncleanStop(2, 4, 5, clock.instant(), 0));
        String forged = new String(encoder.bytes(), 0, encoder.size() - 1, StandardCharsets.US_ASCII); // no '\n'
        List<String> withForged = new ArrayList<>(lines);
        withForged.add(forged);
        writeLines(log, withForged);

        Report report = verify(null);
        assertThat(report.problem().kind()).isEqualTo(ProblemKind.BAD_COUNT);
        assertThat(report.problem().message()).contains("names seq 4 to 5 as unsigned, but the entries it seals are seq "
                + "5 to 6");
    }

    /** A log as a broker before recovery checkpoints wrote it: killed after seq 5, restarted, stopped cleanly. */
    private Path legacyLog(boolean killed) throws Exception {
        Path legacy = Files.createDirectories(tmp.resolve(killed ? "legacy-killed" : "legacy-clean"));
        Instant t = clock.instant();
        EntryEncoder encoder = new EntryEncoder(key, key.id(), AuditFormat.ZERO_HASH);
        encoder.entry(1, t, AuditEvent.of("broker.start").build());
        encoder.entry(2, t, event(2));
        encoder.checkpoint(3, t, 2, false);
        encoder.entry(4, t, event(4));
        encoder.entry(5, t, event(5));
        long seq = 5;
        if (!killed) {
            encoder.checkpoint(++seq, t, 2, true);
        }
        encoder.entry(++seq, t.plusSeconds(60), AuditEvent.of("broker.start").build());
        encoder.entry(++seq, t.plusSeconds(60), event(8));
        encoder.checkpoint(++seq, t.plusSeconds(60), killed ? 4 : 2, true);
        Files.write(file(legacy, 1), Arrays.copyOf(encoder.bytes(), encoder.size()));
        return legacy;
    }

    @Test
    void shouldReportAnUncleanStopThatAnOlderBrokerLeftUnmarked() throws Exception {
        Report report = AuditVerifier.verify(legacyLog(true), List.of(key.publicKey()), null, false);

        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.findings()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(FindingKind.UNMARKED_UNCLEAN_STOP);
            assertThat(f.seq()).isEqualTo(6);
            assertThat(f.from()).isEqualTo(4);
            assertThat(f.to()).isEqualTo(5);
            assertThat(f.message()).contains("no recovery checkpoint marks the unclean stop")
                    .contains("entries 4-5 (2 entries) were left unsigned before this broker.start");
        });

        Report clean = AuditVerifier.verify(legacyLog(false), List.of(key.publicKey()), null, false);
        assertThat(clean.ok()).as(String.valueOf(clean.problem())).isTrue();
        assertThat(clean.findings()).isEmpty();
        assertThat(clean.warnings()).isEmpty();
    }
}
