package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.Message;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.cli.BrokerCli;
import org.securebroker.server.config.BrokerConfig;

/**
 * The audit log of a real broker, tampered with in each way an auditor must catch, checked with
 * {@code broker audit verify} as an auditor runs it: the untouched log verifies, each tampered
 * copy fails naming the first bad entry.
 */
class AuditTamperIT {

    @TempDir
    static Path dir;

    private static Path log;
    private static Path olderCopy;
    private static Path publicKey;

    /** Files of about 4 KiB and a checkpoint every 5 entries, so a short session spans several files. */
    @BeforeAll
    static void writeALog() throws Exception {
        Path data = dir.resolve("data");
        try (TestBroker broker = new TestBroker(data, c -> c.withAudit(new BrokerConfig.Audit(c.audit().dir(),
                c.audit().privateKey(), c.audit().publicKey(), 5, Duration.ofHours(1), 4096, Duration.ofDays(1),
                Duration.ZERO)))) {
            session(broker, 10);
            broker.stop();
            olderCopy = copy(broker.broker().config().audit().dir(), dir.resolve("older"));
            broker.start();
            session(broker, 10);
            log = broker.broker().config().audit().dir();
            publicKey = broker.broker().config().audit().publicKey();
        }
        assertThat(files(log)).as("the session spans several files").hasSizeGreaterThanOrEqualTo(3);
    }

    private static void session(TestBroker broker, int messages) throws Exception {
        try (BrokerClient admin = BrokerClient.builder().address("localhost", broker.port())
                .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                .credentials("admin", broker.adminPassword().toCharArray()).connect()) {
            if (admin.listQueues().isEmpty()) {
                admin.createQueue(org.securebroker.client.QueueSpec.named("orders"));
            }
            for (int i = 0; i < messages; i++) {
                admin.send("orders", Message.of("m" + i));
            }
        }
        assertThatThrownBy(() -> BrokerClient.builder().address("localhost", broker.port())
                .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                .credentials("admin", "not the password".toCharArray()).connect());
    }

    private static List<Path> files(Path auditDir) throws IOException {
        try (Stream<Path> s = Files.list(auditDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path f : files(from)) {
            Files.copy(f, to.resolve(f.getFileName()));
        }
        return to;
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run verify(Path auditDir, String... more) {
        List<String> args = new ArrayList<>(List.of("audit", "verify", auditDir.toString(), "--key", publicKey.toString()));
        args.addAll(List.of(more));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    /** A copy of the log with {@code change} applied to the lines of its second file. */
    private static Path tampered(String name, Consumer<List<String>> change) throws IOException {
        Path copy = copy(log, dir.resolve(name));
        Path second = files(copy).get(1);
        List<String> lines = new ArrayList<>(Files.readAllLines(second, StandardCharsets.UTF_8));
        change.accept(lines);
        Files.write(second, lines, StandardCharsets.UTF_8);
        return copy;
    }

    /** The index of the first ordinary (not checkpoint) entry after the first line. */
    private static int entry(List<String> lines) {
        for (int i = 1; i < lines.size(); i++) {
            if (!lines.get(i).contains("\"type\":\"checkpoint\"")) {
                return i;
            }
        }
        throw new AssertionError("no entry");
    }

    private static void assertRefused(Run run, String why) {
        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(run.out() + run.err()).containsIgnoringCase(why);
    }

    @Test
    void shouldVerifyTheUntouchedLog() {
        Run run = verify(log, "--save-anchor", dir.resolve("anchor.json").toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("OK");
    }

    @Test
    void shouldDetectAnEditedEntry() throws Exception {
        assertRefused(verify(tampered("edited", lines -> {
            int i = entry(lines);
            lines.set(i, lines.get(i).replace("\"admin\"", "\"mallory\""));
        })), "(EDITED");
    }

    @Test
    void shouldDetectADeletedEntry() throws Exception {
        assertRefused(verify(tampered("deleted", lines -> lines.remove(entry(lines)))), "(DELETED");
    }

    @Test
    void shouldDetectAnInsertedEntry() throws Exception {
        assertRefused(verify(tampered("inserted", lines -> lines.add(entry(lines), lines.get(entry(lines))))),
                "(INSERTED");
    }

    @Test
    void shouldDetectReorderedEntries() throws Exception {
        assertRefused(verify(tampered("reordered", lines -> {
            int i = entry(lines);
            lines.add(i + 1, lines.remove(i));
        })), "(REORDERED");
    }

    @Test
    void shouldDetectATailCutAfterTheLastCheckpoint() throws Exception {
        Path copy = copy(log, dir.resolve("cut-final"));
        List<Path> all = files(copy);
        Path last = all.get(all.size() - 1);
        List<String> lines = Files.readAllLines(last, StandardCharsets.UTF_8);
        Files.write(last, lines.subList(0, lines.size() - 1), StandardCharsets.UTF_8);
        assertRefused(verify(copy), "(UNSIGNED_TAIL");
    }

    @Test
    void shouldDetectATailCutBackToAnEarlierCheckpoint() throws Exception {
        Path copy = copy(log, dir.resolve("cut-back"));
        List<Path> all = new ArrayList<>(files(copy));
        int seen = 0;
        for (int f = all.size() - 1; f >= 0; f--) {
            List<String> lines = Files.readAllLines(all.get(f), StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).contains("\"type\":\"checkpoint\"") && ++seen == 2) {
                    Files.write(all.get(f), lines.subList(0, i + 1), StandardCharsets.UTF_8);
                    for (Path later : all.subList(f + 1, all.size())) {
                        Files.delete(later);
                    }
                    assertRefused(verify(copy), "(NOT_FINAL");
                    return;
                }
            }
        }
        throw new AssertionError("the log has fewer than two checkpoints");
    }

    @Test
    void shouldDetectAMissingMiddleFile() throws Exception {
        Path copy = copy(log, dir.resolve("missing"));
        Files.delete(files(copy).get(1));
        assertRefused(verify(copy), "(MISSING_FILE");
    }

    @Test
    void shouldDetectARollbackToAnOlderCopyWithTheAuditorsAnchor() throws Exception {
        Path anchor = dir.resolve("rollback-anchor.json");
        assertThat(verify(log, "--save-anchor", anchor.toString()).exit()).isZero();
        Run older = verify(olderCopy);
        assertThat(older.exit()).as("the older copy is consistent in itself").isZero();
        assertRefused(verify(olderCopy, "--anchor", anchor.toString()), "(ROLLBACK");
    }
}
