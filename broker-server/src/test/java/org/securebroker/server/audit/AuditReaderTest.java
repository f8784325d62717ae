package org.securebroker.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading entries back across files, with filters. */
class AuditReaderTest {

    @TempDir
    Path tmp;
    Path dir;
    AuditFixture.TestClock clock = new AuditFixture.TestClock();
    Instant start = clock.instant();

    @BeforeEach
    void writeLog() {
        dir = tmp.resolve("audit");
        AuditSettings settings = AuditSettings.of(dir, AuditFixture.newKey()).withRotation(4096, Duration.ofDays(1));
        try (AuditLog log = AuditLog.open(settings, clock)) {
            log.append(AuditEvent.of("auth.success").principal("alice").mechanism("PLAIN").build()).join();
            log.append(AuditEvent.of("auth.failure").principal("bob").reason("bad password").build()).join();
            clock.advance(Duration.ofHours(1));
            log.append(AuditEvent.of("authz.deny").principal("alice").action("publish").resource("orders")
                    .decision("deny").rule("deny-orders").build()).join();
            log.append(AuditEvent.of("authz.allow").principal("alice").decision("allow").detail("count", 7).build()).join();
            clock.advance(Duration.ofHours(1));
            for (int i = 0; i < 40; i++) {
                log.append(AuditFixture.event(i)).join();
            }
            log.append(AuditEvent.of("key.rotate").principal("admin").build()).join();
        }
    }

    private List<AuditEntry> read(AuditReader.Filter filter) throws Exception {
        try (Stream<AuditEntry> s = AuditReader.entries(dir, filter)) {
            return s.toList();
        }
    }

    @Test
    void shouldReadEveryEntryOfEveryFileInOrder() throws Exception {
        List<AuditEntry> all = read(AuditReader.Filter.ALL);

        assertThat(AuditFormat.fileNumbers(dir).length).isGreaterThan(1);
        assertThat(all).extracting(AuditEntry::seq).isSorted().doesNotHaveDuplicates();
        assertThat(all.get(0).seq()).isEqualTo(1);
        assertThat(all.get(all.size() - 1).isCheckpoint()).isTrue();
        assertThat(all).filteredOn(e -> !e.isCheckpoint()).hasSize(45);
    }

    @Test
    void shouldFilterByPrincipalTypePrefixDecisionAndTime() throws Exception {
        assertThat(read(AuditReader.Filter.ALL.withPrincipal("bob"))).extracting(AuditEntry::type)
                .containsExactly("auth.failure");
        assertThat(read(AuditReader.Filter.ALL.withType("auth"))).extracting(AuditEntry::type)
                .containsOnly("auth.success", "auth.failure");
        assertThat(read(AuditReader.Filter.ALL.withType("authz").withPrincipal("alice"))).extracting(AuditEntry::type)
                .containsExactly("authz.deny", "authz.allow");
        assertThat(read(AuditReader.Filter.ALL.withType("key.*"))).extracting(AuditEntry::principal)
                .containsExactly("admin");
        assertThat(read(AuditReader.Filter.ALL.withDecision("deny").withPrincipal("alice")))
                .extracting(AuditEntry::rule).containsExactly("deny-orders");
        assertThat(read(AuditReader.Filter.ALL.withTime(start.plus(Duration.ofMinutes(30)), start.plus(Duration.ofMinutes(90)))))
                .extracting(AuditEntry::type).containsExactly("authz.deny", "checkpoint", "authz.allow");
    }

    @Test
    void shouldSkipAnIncompleteLastLine() throws Exception {
        int[] numbers = AuditFormat.fileNumbers(dir);
        Path last = dir.resolve(AuditFormat.fileName(numbers[numbers.length - 1]));
        Files.writeString(last, "{\"seq\":99,\"ti", StandardOpenOption.APPEND);

        assertThat(read(AuditReader.Filter.ALL)).extracting(AuditEntry::seq).doesNotContain(99L);
    }

    @Test
    void shouldNameTheFileAndLineOfALineThatIsNotAnEntry() throws Exception {
        Files.writeString(dir.resolve("audit-000001.jsonl"), "oops\n", StandardOpenOption.APPEND);
        int lines = Files.readAllLines(dir.resolve("audit-000001.jsonl")).size();

        assertThatThrownBy(() -> read(AuditReader.Filter.ALL)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("audit-000001.jsonl:" + lines + " is not an audit entry");
    }

    @Test
    void shouldDescribeAnEntryOnOneReadableLine() throws Exception {
        AuditEntry deny = read(AuditReader.Filter.ALL.withDecision("deny").withPrincipal("alice")).get(0);

        assertThat(deny.describe()).isEqualTo("2026-11-27T13:00:00.000Z #3 authz.deny principal=alice action=publish "
                + "resource=orders decision=deny rule=deny-orders");
        AuditEntry failure = read(AuditReader.Filter.ALL.withPrincipal("bob")).get(0);
        assertThat(failure.describe()).endsWith("reason=\"bad password\"");
    }
}
