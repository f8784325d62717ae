package org.securebroker.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securebroker.server.audit.AuditFixture.entries;
import static org.securebroker.server.audit.AuditFixture.event;
import static org.securebroker.server.audit.AuditFixture.file;
import static org.securebroker.server.audit.AuditFixture.hash;
import static org.securebroker.server.audit.AuditFixture.lines;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.securebroker.protocol.integrity.SigningKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.io.FaultyFileLayer;

/** The writer: sequence, chain, checkpoints, rotation, reopening, recovery and failing closed. */
class AuditLogTest {

    @TempDir
    Path tmp;
    Path dir;
    SigningKey key;
    AuditFixture.TestClock clock;
    AuditSettings settings;

    @BeforeEach
    void setUp() {
        dir = tmp.resolve("audit");
        key = AuditFixture.newKey();
        clock = new AuditFixture.TestClock();
        settings = AuditSettings.of(dir, key);
    }

    private AuditVerifier.Report verify() {
        return AuditVerifier.verify(dir, List.of(key.publicKey()), null, false);
    }

    @Test
    void shouldAssignConsecutiveSequenceNumbersAndChainEachLineToThePrevious() throws Exception {
        try (AuditLog log = AuditLog.open(settings, clock)) {
            for (int i = 1; i <= 5; i++) {
                assertThat(log.append(event(i)).get(5, TimeUnit.SECONDS)).isEqualTo(i);
            }
            assertThat(log.lastSequence()).isEqualTo(5);
        }
        List<String> lines = lines(file(dir, 1));
        assertThat(lines).hasSize(6); // five entries and the final checkpoint
        assertThat(lines.get(0)).startsWith("{\"seq\":1,\"time\":\"2026-11-27T12:00:00.000Z\",\"type\":\"authz.deny\","
                + "\"principal\":\"user1\",\"source\":\"192.0.2.1:5000\",\"action\":\"publish\",\"resource\":\"orders\","
                + "\"decision\":\"deny\",\"details\":{\"i\":1},\"prev\":\"" + "0".repeat(64) + "\"}");
        for (int i = 1; i < lines.size(); i++) {
            assertThat(lines.get(i)).contains("\"seq\":" + (i + 1) + ",").contains("\"prev\":\"" + hash(lines.get(i - 1))
                    + "\"");
        }
        assertThat(verify().ok()).as(String.valueOf(verify().problem())).isTrue();
    }

    @Test
    void shouldWriteASignedCheckpointEveryNEntries() throws Exception {
        AuditFixture.writeLog(settings.withCheckpoints(3, Duration.ofHours(1)), clock, 7);

        List<AuditEntry> entries = entries(dir);
        assertThat(entries).extracting(AuditEntry::isCheckpoint)
                .containsExactly(false, false, false, true, false, false, false, true, false, true);
        AuditEntry first = entries.get(3);
        assertThat(first.seq()).isEqualTo(4);
        assertThat(first.details()).containsEntry("keyId", settings.keyId()).containsEntry("entries", 3L)
                .containsEntry("final", false).containsEntry("format", 1L);
        AuditEntry last = entries.get(9);
        assertThat(last.details()).containsEntry("entries", 1L).containsEntry("final", true);
        assertThat(last.text()).endsWith("\",\"sig\":\"" + last.sig() + "\"}");
        assertThat(verify().checkpoints()).isEqualTo(3);
    }

    @Test
    void shouldCheckpointOnceTheIntervalHasPassedWithEntriesWaiting() throws Exception {
        try (AuditLog log = AuditLog.open(settings.withCheckpoints(1000, Duration.ofSeconds(60)), clock)) {
            log.append(event(1)).join();
            clock.advance(Duration.ofSeconds(61));
            // the idle writer looks at the clock between rounds; wait for it to see the advanced time
            Awaitility.await("an idle writer checkpoints when the interval is up").atMost(5, TimeUnit.SECONDS)
                    .until(() -> log.lastSequence() >= 2);
            assertThat(log.lastSequence()).isEqualTo(2);
            // the log of a running broker: its last checkpoint is not the final one yet
            assertThat(AuditVerifier.verify(dir, List.of(key.publicKey()), null, true).ok()).isTrue();
        }
    }

    @Test
    void shouldWriteAFinalCheckpointOnCloseAndRefuseAppendsAfterIt() throws Exception {
        AuditLog log = AuditLog.open(settings, clock);
        log.append(event(1)).join();
        log.close();
        log.close();

        List<AuditEntry> entries = entries(dir);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(1).isCheckpoint()).isTrue();
        assertThat(entries.get(1).details()).containsEntry("final", true);
        assertThat(log.writable()).isFalse();
        assertThatThrownBy(() -> log.append(event(2)).join()).hasCauseInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void shouldRotateAtTheSizeLimitWithACheckpointAndKeepTheChainAcrossFiles() throws Exception {
        AuditFixture.writeLog(settings.withRotation(4096, Duration.ofDays(1)), clock, 60);

        int[] numbers = AuditFormat.fileNumbers(dir);
        assertThat(numbers.length).isGreaterThan(2);
        for (int i = 1; i < numbers.length; i++) {
            List<String> before = lines(file(dir, i));
            assertThat(before.get(before.size() - 1)).contains("\"type\":\"checkpoint\"");
            assertThat(Files.size(file(dir, i))).isLessThan(4096 + 2048);
            String firstOfNext = lines(file(dir, i + 1)).get(0);
            assertThat(firstOfNext).contains("\"prev\":\"" + hash(before.get(before.size() - 1)) + "\"");
        }
        AuditVerifier.Report report = verify();
        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.entries()).isEqualTo(60);
        assertThat(report.files()).isEqualTo(numbers.length);
    }

    @Test
    void shouldRotateAFileOnceItsFirstEntryIsOlderThanTheAgeLimit() throws Exception {
        try (AuditLog log = AuditLog.open(settings.withRotation(1 << 20, Duration.ofHours(1)), clock)) {
            log.append(event(1)).join();
            clock.advance(Duration.ofMinutes(59));
            log.append(event(2)).join();
            clock.advance(Duration.ofMinutes(2));
            log.append(event(3)).join();
        }
        assertThat(AuditFormat.fileNumbers(dir)).containsExactly(1, 2);
        assertThat(lines(file(dir, 1))).hasSize(3); // two entries and the rotation checkpoint
        assertThat(verify().ok()).isTrue();
    }

    @Test
    void shouldNotLetAFileEndingAtAFinalCheckpointHideTheFilesAfterIt() throws Exception {
        AuditSettings daily = settings.withRotation(1 << 20, Duration.ofHours(1));
        try (AuditLog log = AuditLog.open(daily, clock)) {
            log.append(event(1)).join();
        }
        clock.advance(Duration.ofHours(2));
        try (AuditLog log = AuditLog.open(daily, clock)) {
            log.append(event(2)).join();
        }
        assertThat(AuditFormat.fileNumbers(dir)).containsExactly(1, 2);
        List<String> first = lines(file(dir, 1));
        assertThat(first.get(first.size() - 1)).as("rotation after a restart closes the file with a checkpoint that "
                + "is not final").contains("\"final\":false");
        assertThat(verify().ok()).isTrue();

        Files.delete(file(dir, 2));
        assertThat(verify().problem().kind()).isEqualTo(AuditVerifier.ProblemKind.NOT_FINAL);
    }

    @Test
    void shouldSealTheLogUnderTheOldKeyAndSignWithTheNewOneAfterARotation() throws Exception {
        SigningKey next = AuditFixture.newKey();
        try (AuditLog log = AuditLog.open(settings, clock)) {
            log.append(event(1)).join();
            log.append(event(2)).join();
            long sealed = log.rotateKey(next).join();
            assertThat(sealed).isEqualTo(3);
            assertThat(log.keyId()).isEqualTo(next.id());
            log.append(event(3)).join();
        }
        List<AuditEntry> checkpoints = entries(dir).stream().filter(AuditEntry::isCheckpoint).toList();
        assertThat(checkpoints).extracting(AuditEntry::keyId).containsExactly(key.id(), next.id());
        assertThat(AuditVerifier.verify(dir, List.of(key.publicKey(), next.publicKey()), null, false).ok())
                .isTrue();
        assertThat(verify().problem().kind()).as("the new key's checkpoints need its public key")
                .isEqualTo(AuditVerifier.ProblemKind.UNKNOWN_KEY);
    }

    @Test
    void shouldContinueTheSequenceAndTheChainWhenReopened() throws Exception {
        AuditFixture.writeLog(settings, clock, 3);
        try (AuditLog log = AuditLog.open(settings, clock)) {
            assertThat(log.lastSequence()).isEqualTo(4);
            assertThat(log.append(event(9)).join()).isEqualTo(5);
        }
        List<String> lines = lines(file(dir, 1));
        assertThat(lines).hasSize(6);
        assertThat(lines.get(4)).contains("\"prev\":\"" + hash(lines.get(3)) + "\"");
        assertThat(verify().ok()).isTrue();
    }

    @Test
    void shouldContinueAfterACrashWithoutAFinalCheckpointAndCountTheUnsignedEntries() throws Exception {
        AuditFixture.writeLog(settings.withCheckpoints(2, Duration.ofHours(1)), clock, 3);
        // a crash: entries written after the last checkpoint, no final checkpoint
        List<String> crashed = new ArrayList<>(lines(file(dir, 1)));
        crashed.remove(crashed.size() - 1);
        AuditFixture.writeLines(file(dir, 1), crashed);
        try (AuditLog log = AuditLog.open(settings.withCheckpoints(2, Duration.ofHours(1)), clock)) {
            log.append(event(1)).join();
        }
        assertThat(verify().ok()).as(String.valueOf(verify().problem())).isTrue();
    }

    @Test
    void shouldMoveATornLastLineAsideAndRecordTheRecovery() throws Exception {
        AuditFixture.writeLog(settings, clock, 3);
        byte[] torn = "{\"seq\":5,\"time\":\"2026-11-27T12:00:00.000Z\",\"type\":\"auth.succ".getBytes(StandardCharsets.UTF_8);
        Files.write(file(dir, 1), torn, StandardOpenOption.APPEND);

        try (AuditLog log = AuditLog.open(settings, clock)) {
            assertThat(log.lastSequence()).isEqualTo(6);
            assertThat(log.append(event(1)).join()).isEqualTo(7);
        }
        List<AuditEntry> entries = entries(dir);
        AuditEntry sealed = entries.get(4);
        assertThat(sealed.isCheckpoint()).as("a torn line is an unclean stop: the recovery checkpoint comes first")
                .isTrue();
        assertThat(sealed.details()).containsEntry("recovered", true).containsEntry("entries", 0L)
                .doesNotContainKey("from");
        assertThat(sealed.reason()).contains("its incomplete last line was moved aside");
        AuditEntry recovered = entries.get(5);
        assertThat(recovered.type()).isEqualTo("audit.recovered");
        assertThat(recovered.seq()).isEqualTo(6);
        assertThat(recovered.details()).containsEntry("file", "audit-000001.jsonl")
                .containsEntry("bytesCut", (long) torn.length)
                .containsEntry("savedTo", "audit-000001.jsonl.torn-20261127T120000Z");
        assertThat(dir.resolve("audit-000001.jsonl.torn-20261127T120000Z")).hasBinaryContent(torn);
        assertThat(verify().ok()).as(String.valueOf(verify().problem())).isTrue();
    }

    /**
     * What a SIGKILL leaves: the files as they are on disk while the log is open, copied aside;
     * the log itself is then closed, so its lock is free and the copy is what the next run finds.
     */
    private Path killedWith(AuditSettings s, int entries) throws Exception {
        Path killed = tmp.resolve("killed");
        try (AuditLog log = AuditLog.open(s, clock)) {
            AuditFixture.appendAll(log, entries);
            Files.createDirectories(killed);
            for (int n : AuditFormat.fileNumbers(dir)) {
                Files.copy(file(dir, n), file(killed, n));
            }
        }
        return killed;
    }

    @Test
    void shouldSealTheEntriesAnUncleanStopLeftUnsignedWithASignedRecoveryCheckpointFirst() throws Exception {
        AuditSettings everyThree = settings.withCheckpoints(3, Duration.ofHours(1));
        // seq 1-3, checkpoint 4, seq 5-6 unsigned when the process dies
        Path killed = killedWith(everyThree, 5);
        List<String> before = lines(file(killed, 1));
        assertThat(before).hasSize(6);
        clock.advance(Duration.ofMinutes(5));

        AuditSettings restarted = AuditSettings.of(killed, key).withCheckpoints(3, Duration.ofHours(1));
        try (AuditLog log = AuditLog.open(restarted, clock)) {
            assertThat(log.recoveryCheckpoint()).isEqualTo(7);
            assertThat(log.lastSequence()).isEqualTo(7);
            List<String> now = lines(file(killed, 1));
            assertThat(now.subList(0, 6)).as("nothing the killed run wrote is changed").isEqualTo(before);
            assertThat(now).hasSize(7);
            String line = now.get(6);
            assertThat(line).startsWith("{\"seq\":7,\"time\":\"2026-11-27T12:05:00.000Z\",\"type\":\"checkpoint\","
                    + "\"reason\":\"recovered after an unclean stop: seq 5 to 6 (2 entries) were not signed by the run "
                    + "that wrote them and are signed by this checkpoint\",\"details\":{\"keyId\":\"" + key.id()
                    + "\",\"entries\":2,\"final\":false,\"format\":1,\"recovered\":true,\"from\":5,\"to\":6,"
                    + "\"stoppedAfter\":\"2026-11-27T12:00:00.000Z\"},\"prev\":\"" + hash(before.get(5)) + "\",\"sig\":\"");

            AuditVerifier.Report running = AuditVerifier.verify(killed, List.of(key.publicKey()), null, true);
            assertThat(running.ok()).as(String.valueOf(running.problem())).isTrue();
            assertThat(running.unsigned()).as("once started again, every entry is signed").isZero();
            assertThat(running.findings()).singleElement().satisfies(f -> {
                assertThat(f.kind()).isEqualTo(AuditVerifier.FindingKind.SIGNED_BY_RECOVERY);
                assertThat(f.seq()).isEqualTo(7);
                assertThat(f.from()).isEqualTo(5);
                assertThat(f.to()).isEqualTo(6);
            });
            assertThat(log.append(event(1)).join()).isEqualTo(8);
        }
        AuditVerifier.Report report = AuditVerifier.verify(killed, List.of(key.publicKey()), null, false);
        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.checkpoints()).isEqualTo(3);
        assertThat(report.findings()).hasSize(1);
    }

    @Test
    void shouldRecordAnUncleanStopThatLeftNothingUnsigned() throws Exception {
        AuditSettings everyTwo = settings.withCheckpoints(2, Duration.ofHours(1));
        Path killed = killedWith(everyTwo, 4); // seq 1-2, checkpoint 3, seq 4-5, checkpoint 6

        try (AuditLog log = AuditLog.open(AuditSettings.of(killed, key), clock)) {
            assertThat(log.recoveryCheckpoint()).isEqualTo(7);
        }
        AuditEntry sealed = entries(killed).get(6);
        assertThat(sealed.details()).containsEntry("recovered", true).containsEntry("entries", 0L)
                .containsEntry("stoppedAfter", "2026-11-27T12:00:00.000Z").doesNotContainKeys("from", "to");
        assertThat(sealed.reason()).contains("every entry it wrote is signed by its own checkpoints");
        AuditVerifier.Report report = AuditVerifier.verify(killed, List.of(key.publicKey()), null, false);
        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.findings()).isEmpty();
        assertThat(report.warnings()).singleElement().asString().contains("records an unclean stop after "
                + "2026-11-27T12:00:00.000Z");
    }

    @Test
    void shouldStartWithAnOrdinaryEntryAfterACleanStop() throws Exception {
        AuditFixture.writeLog(settings, clock, 2);
        try (AuditLog log = AuditLog.open(settings, clock)) {
            assertThat(log.recoveryCheckpoint()).isZero();
            assertThat(log.append(AuditEvent.of("broker.start").build()).join()).isEqualTo(4);
        }
        assertThat(entries(dir)).filteredOn(AuditEntry::isCheckpoint)
                .noneMatch(e -> e.details().containsKey("recovered"));
        assertThat(verify().findings()).isEmpty();
    }

    @Test
    void shouldSealAgainAfterAnUncleanStopRightAfterTheRecovery() throws Exception {
        Path killed = killedWith(settings, 2);
        AuditSettings first = AuditSettings.of(killed, key);
        Path twice = tmp.resolve("twice");
        try (AuditLog log = AuditLog.open(first, clock)) {
            Files.createDirectories(twice);
            Files.copy(file(killed, 1), file(twice, 1)); // killed again once the recovery checkpoint is written
        }
        try (AuditLog log = AuditLog.open(AuditSettings.of(twice, key), clock)) {
            assertThat(log.recoveryCheckpoint()).isEqualTo(4);
        }
        AuditVerifier.Report report = AuditVerifier.verify(twice, List.of(key.publicKey()), null, false);
        assertThat(report.ok()).as(String.valueOf(report.problem())).isTrue();
        assertThat(report.findings()).extracting(AuditVerifier.Finding::seq).containsExactly(3L);
    }

    @Test
    void shouldContinueFromThePreviousFileWhenTheNewestIsEmpty() throws Exception {
        AuditFixture.writeLog(settings, clock, 2);
        Files.createFile(file(dir, 2)); // a crash right after a rotation created the next file
        try (AuditLog log = AuditLog.open(settings, clock)) {
            assertThat(log.append(event(1)).join()).isEqualTo(4);
        }
        assertThat(lines(file(dir, 2)).get(0)).contains("\"prev\":\"" + hash(lines(file(dir, 1)).get(2)) + "\"");
        assertThat(verify().ok()).isTrue();
    }

    @Test
    void shouldRefuseToContinueFromALastLineThatIsNotAnEntry() throws Exception {
        AuditFixture.writeLog(settings, clock, 2);
        Files.writeString(file(dir, 1), "not json\n", StandardOpenOption.APPEND);

        assertThatThrownBy(() -> AuditLog.open(settings, clock)).isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("cannot continue the audit chain").hasMessageContaining("audit-000001.jsonl")
                .hasMessageContaining("line 4");
    }

    @Test
    void shouldRefuseASecondWriterOnTheSameDirectory() {
        try (AuditLog log = AuditLog.open(settings, clock)) {
            assertThatThrownBy(() -> AuditLog.open(settings, clock)).isInstanceOf(AuditUnavailableException.class)
                    .hasMessageContaining("already open");
        }
    }

    @Test
    void shouldCreateTheDirectoryAndFilesForTheOwnerOnly() throws Exception {
        AuditFixture.writeLog(settings, clock, 1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file(dir, 1)))).isEqualTo("rw-------");
    }

    @Test
    void shouldEscapeControlCharactersSoAValueCannotForgeALine() throws Exception {
        String forged = "mallory\n{\"seq\":99,\"time\":\"2026-11-27T12:00:00.000Z\",\"type\":\"auth.success\"}\r\u2028\u202e\u007f";
        try (AuditLog log = AuditLog.open(settings, clock)) {
            log.append(AuditEvent.of("auth.failure").principal(forged).reason("bad\u0000password").build()).join();
        }
        List<String> lines = lines(file(dir, 1));
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("\"principal\":\"mallory\\n{\\\"seq\\\":99,").contains("\\r\\u2028\\u202E\\u007F")
                .contains("bad\\u0000password");
        assertThat(lines.get(0).chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
        AuditEntry entry = entries(dir).get(0);
        assertThat(entry.principal()).isEqualTo(forged);
        assertThat(entry.describe()).doesNotContain("\n").doesNotContain("\u202e");
        assertThat(verify().ok()).isTrue();
    }

    @Test
    void shouldRefuseEventTypesTheLogWritesItself() {
        try (AuditLog log = AuditLog.open(settings, clock)) {
            assertThatThrownBy(() -> log.append(AuditEvent.of("checkpoint").build()).join())
                    .hasCauseInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> log.append(AuditEvent.of("audit.recovered").build()).join())
                    .hasCauseInstanceOf(IllegalArgumentException.class);
            assertThat(log.writable()).isTrue();
        }
    }

    @Test
    void shouldRecordConcurrentAppendsWithoutGapsOrDuplicates() throws Exception {
        int threads = 4;
        int each = 500;
        Set<Long> seqs = new TreeSet<>();
        try (AuditLog log = AuditLog.open(settings.withCheckpoints(100, Duration.ofHours(1)), clock)) {
            List<Thread> workers = new ArrayList<>();
            List<List<CompletableFuture<Long>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<CompletableFuture<Long>> mine = new ArrayList<>();
                results.add(mine);
                workers.add(new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        mine.add(log.append(event(i)));
                    }
                }));
            }
            workers.forEach(Thread::start);
            for (Thread w : workers) {
                w.join();
            }
            results.forEach(r -> r.forEach(f -> seqs.add(f.join())));
        }
        assertThat(seqs).hasSize(threads * each);
        AuditVerifier.Report report = verify();
        assertThat(report.ok()).isTrue();
        assertThat(report.entries()).isEqualTo((long) threads * each);
    }

    @Test
    void shouldFailClosedAfterAFailedFsyncAndNeverRetryIt() throws Exception {
        FaultyFileLayer faulty = new FaultyFileLayer();
        AuditLog log = AuditLog.open(settings, clock, faulty);
        assertThat(log.append(event(1)).join()).isEqualTo(1);
        faulty.failForce.set(true);
        int forcesBefore = faulty.forces.get();

        CompletableFuture<Long> failed = log.append(event(2));
        assertThatThrownBy(failed::join).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("syncing (fsync)").hasMessageContaining(file(dir, 1).toString())
                .hasMessageContaining("Input/output error");
        assertThat(log.writable()).isFalse();

        faulty.failForce.set(false);
        assertThatThrownBy(() -> log.append(event(3)).join()).cause().isInstanceOf(AuditUnavailableException.class)
                .satisfies(e -> assertThat(((AuditUnavailableException) e).kind())
                        .isEqualTo(AuditUnavailableException.Kind.FAILED));
        log.close();
        assertThat(faulty.forces.get()).as("the failed fsync is not retried").isEqualTo(forcesBefore + 1);
        assertThat(log.lastSequence()).isEqualTo(1);
    }

    @Test
    void shouldFailClosedAfterAFailedWrite() {
        FaultyFileLayer faulty = new FaultyFileLayer();
        try (AuditLog log = AuditLog.open(settings, clock, faulty)) {
            faulty.diskFull.set(true);
            assertThatThrownBy(() -> log.append(event(1)).join()).cause().isInstanceOf(AuditUnavailableException.class)
                    .hasMessageContaining("writing").hasMessageContaining("No space left on device");
            faulty.diskFull.set(false);
            assertThat(log.writable()).isFalse();
            assertThatThrownBy(() -> log.append(event(2)).join()).cause().isInstanceOf(AuditUnavailableException.class);
        }
    }

    @Test
    void shouldThrowFromCloseWhenTheFinalCheckpointCannotBeWritten() {
        FaultyFileLayer faulty = new FaultyFileLayer();
        AuditLog log = AuditLog.open(settings, clock, faulty);
        log.append(event(1)).join();
        faulty.failForce.set(true);
        assertThatThrownBy(log::close).isInstanceOf(AuditUnavailableException.class).hasMessageContaining("fsync");
    }

    @Test
    void shouldRefuseAppendsBeyondTheQueueBound() throws Exception {
        FaultyFileLayer layer = new FaultyFileLayer();
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        // room for two of these entries waiting, not three
        long entryBytes = event(1).estimatedBytes();
        try (AuditLog log = AuditLog.open(settings.withMaxPendingBytes(2 * entryBytes + entryBytes / 2), clock, layer)) {
            CompletableFuture<Long> first = log.append(event(1));
            gate.awaitForcing(); // the writer holds the first in its fsync
            CompletableFuture<Long> second = log.append(event(2));
            CompletableFuture<Long> third = log.append(event(3));
            CompletableFuture<Long> refused = log.append(event(4));

            assertThatThrownBy(refused::join).cause().isInstanceOf(AuditUnavailableException.class)
                    .hasMessageContaining("waiting for the disk")
                    .satisfies(e -> assertThat(((AuditUnavailableException) e).retriable()).isTrue());
            gate.release();
            assertThat(Stream.of(first, second, third).map(CompletableFuture::join)).containsExactly(1L, 2L, 3L);
            assertThat(log.writable()).isTrue();
        }
    }
}
