package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reloads swap in valid policies only, tell listeners after the swap, and leave a broken file's predecessor in force. */
class PolicyHolderTest {

    private static final String V1 = """
            roles:
              producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
            """;
    private static final String V2 = V1.replace("orders.*", "billing.*");
    private static final String BROKEN = """
            roles:
              producer:
                allow:
                  - actions: [publsh]
                    resources: ["orders.*"]
            """;
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;
    Path file;
    /** Far after every modification time set below, so no read counts as racy unless a test wants it. */
    Clock clock = Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC);
    int tick;

    private void write(String text) throws Exception {
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(T0.plusSeconds(++tick)));
    }

    private static boolean mayPublish(Policy p, String queue) {
        return p.decide(Set.of("producer"), Action.PUBLISH, queue).allowed();
    }

    @BeforeEach
    void createFile() throws Exception {
        file = dir.resolve("policy.yaml");
        write(V1);
    }

    @Test
    void shouldSwapInAChangedValidFileAndTellListenersAfterwards() throws Exception {
        PolicyHolder holder = PolicyHolder.load(file, clock);
        Policy first = holder.current();
        List<String> heard = new ArrayList<>();
        holder.addListener(p -> heard.add(p.version() + " current=" + (holder.current() == p)));
        assertThat(holder.reloadIfChanged()).isFalse();

        write(V2);
        assertThat(holder.reloadIfChanged()).isTrue();

        assertThat(holder.current().version()).isNotEqualTo(first.version());
        assertThat(mayPublish(holder.current(), "billing.eu")).isTrue();
        assertThat(mayPublish(holder.current(), "orders.eu")).isFalse();
        assertThat(heard).containsExactly(holder.current().version() + " current=true");
        assertThat(holder.reloadIfChanged()).isFalse();
        assertThat(heard).hasSize(1);
    }

    @Test
    void shouldKeepThePreviousPolicyWhenTheFileBreaksAndReportItOnce() throws Exception {
        PolicyHolder holder = PolicyHolder.load(file, clock);
        Policy good = holder.current();
        List<Policy> heard = new ArrayList<>();
        holder.addListener(heard::add);

        write(BROKEN);
        assertThatThrownBy(holder::reloadIfChanged).isInstanceOfSatisfying(PolicyException.class, e ->
                assertThat(e.problems()).singleElement().satisfies(p ->
                        assertThat(p).startsWith("line 4: roles.producer.allow[0].actions: unknown action 'publsh'")));
        assertThat(holder.current()).isSameAs(good);
        assertThat(holder.reloadIfChanged()).as("the same broken file is reported once").isFalse();
        assertThatThrownBy(holder::reload).as("an explicit reload reports it again").isInstanceOf(PolicyException.class);
        assertThat(holder.current()).isSameAs(good);
        assertThat(heard).isEmpty();

        write(V2);
        assertThat(holder.reloadIfChanged()).isTrue();
        assertThat(heard).containsExactly(holder.current());
        assertThat(mayPublish(holder.current(), "billing.eu")).isTrue();
    }

    @Test
    void shouldNotSwapOrNotifyWhenOnlyCommentsChange() throws Exception {
        PolicyHolder holder = PolicyHolder.load(file, clock);
        Policy first = holder.current();
        List<Policy> heard = new ArrayList<>();
        holder.addListener(heard::add);

        write("# reviewed\n" + V1);
        assertThat(holder.reloadIfChanged()).isFalse();
        assertThat(holder.reload()).isFalse();

        assertThat(holder.current()).isSameAs(first);
        assertThat(heard).isEmpty();
    }

    @Test
    void shouldNoticeARewriteWithTheSameSizeAndTimestampWhileTheTimestampIsRecent() throws Exception {
        Clock now = Clock.fixed(T0.plusSeconds(tick).plusMillis(500), ZoneOffset.UTC);
        PolicyHolder holder = PolicyHolder.load(file, now);
        FileTime stamp = Files.getLastModifiedTime(file);
        String sameSize = V1.replace("orders.*", "orderz.*");
        assertThat(sameSize).hasSameSizeAs(V1);

        Files.writeString(file, sameSize);
        Files.setLastModifiedTime(file, stamp);

        assertThat(holder.reloadIfChanged()).isTrue();
        assertThat(mayPublish(holder.current(), "orderz.eu")).isTrue();
    }

    @Test
    void shouldTellEveryListenerEvenIfOneFails() throws Exception {
        PolicyHolder holder = PolicyHolder.load(file, clock);
        List<Policy> heard = new ArrayList<>();
        holder.addListener(p -> {
            throw new IllegalStateException("listener bug");
        });
        holder.addListener(heard::add);

        write(V2);
        assertThat(holder.reload()).isTrue();

        assertThat(heard).containsExactly(holder.current());
    }

    @Test
    void shouldRefuseToStartWithABrokenOrMissingFile() throws Exception {
        write(BROKEN);
        assertThatThrownBy(() -> PolicyHolder.load(file, clock)).isInstanceOf(PolicyException.class)
                .hasMessageContaining("line 4");
        assertThatThrownBy(() -> PolicyHolder.load(dir.resolve("missing.yaml"), clock))
                .isInstanceOfSatisfying(PolicyException.class, e ->
                        assertThat(e.problems()).containsExactly("the file does not exist"));
    }

    @Test
    void shouldReportADeletedFileOnceAndKeepThePolicyUntilItComesBack() throws Exception {
        PolicyHolder holder = PolicyHolder.load(file, clock);
        Policy good = holder.current();
        Files.delete(file);
        assertThatThrownBy(holder::reloadIfChanged).isInstanceOf(PolicyException.class)
                .hasMessageContaining("does not exist");
        assertThat(holder.reloadIfChanged()).as("reported once").isFalse();
        assertThat(holder.current()).isSameAs(good);

        write(V2);
        assertThat(holder.reloadIfChanged()).isTrue();
        assertThat(mayPublish(holder.current(), "billing.eu")).isTrue();
    }

    @Test
    void shouldNeverChangeAFixedPolicy() {
        PolicyHolder holder = PolicyHolder.fixed(Policy.defaults());
        assertThat(holder.current()).isSameAs(Policy.defaults());
        assertThat(holder.file()).isEmpty();
        assertThat(holder.reloadIfChanged()).isFalse();
        assertThat(holder.reload()).isFalse();
    }
}
