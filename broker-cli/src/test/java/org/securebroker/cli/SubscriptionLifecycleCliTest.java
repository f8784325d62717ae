package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.SubscriptionInfo;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;

/**
 * {@code broker subscription list/delete/seek}, {@code broker queue purge/browse}: argument
 * checks that refuse before any connection, and the output formats. (Against a broker they run
 * in the end-to-end tests.)
 */
class SubscriptionLifecycleCliTest {

    /** Nothing listens here; and the data directory has no admin password, so connecting stops at reading it. */
    private static final String NOWHERE = "127.0.0.1:1";
    private static final String CONNECTING = "cannot read the password file";

    @TempDir
    Path data;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        String[] all = Stream.concat(Stream.of(args), Stream.of("--data", data.toString(), "--server", NOWHERE))
                .toArray(String[]::new);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void shouldRequireExactlyOneSeekTarget() {
        Run none = run("subscription", "seek", "orders", "billing");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("--offset").contains("--time");

        Run both = run("subscription", "seek", "orders", "billing", "--offset", "3", "--time", "10m");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void shouldRefuseABadSeekTargetBeforeConnecting() {
        Run negative = run("subscription", "seek", "orders", "billing", "--offset", "-1");
        assertThat(negative.exit()).isEqualTo(2);
        assertThat(negative.err()).contains("--offset must not be negative").doesNotContain(CONNECTING);

        Run badTime = run("subscription", "seek", "orders", "billing", "--time", "yesterday");
        assertThat(badTime.exit()).isEqualTo(2);
        assertThat(badTime.err()).contains("--time").contains("'yesterday'").contains("30d");
    }

    @Test
    void shouldTryToConnectOnceTheSeekTargetIsValid() {
        Run ok = run("subscription", "seek", "orders", "billing", "--time", "10m");
        assertThat(ok.err()).contains(CONNECTING);
    }

    @Test
    void shouldRefuseToPurgeWithoutATerminalUnlessConfirmedWithYes() {
        Run refused = run("queue", "purge", "orders");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("--yes").contains("confirmation");

        assertThat(refused.err()).doesNotContain(CONNECTING);

        Run confirmed = run("queue", "purge", "orders", "--yes");
        assertThat(confirmed.err()).contains(CONNECTING).doesNotContain("--yes");
    }

    @Test
    void shouldAcceptOnlyYOrYesAsConfirmation() {
        assertThat(QueueCommand.isYes("y")).isTrue();
        assertThat(QueueCommand.isYes(" YES \n")).isTrue();
        assertThat(QueueCommand.isYes("")).isFalse();
        assertThat(QueueCommand.isYes("n")).isFalse();
        assertThat(QueueCommand.isYes("yes please")).isFalse();
        assertThat(QueueCommand.isYes(null)).isFalse();
    }

    @Test
    void shouldRefuseBadBrowseBoundsBeforeConnecting() {
        Run zero = run("queue", "browse", "orders", "--max", "0");
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--max must be at least 1");

        Run negative = run("queue", "browse", "orders", "--from", "-4");
        assertThat(negative.exit()).isEqualTo(2);
        assertThat(negative.err()).contains("--from must not be negative");
    }

    @Test
    void shouldPrintTheSubscriptionTableWithTimesToTheSecond() {
        String table = SubscriptionCommand.table(List.of(
                new SubscriptionInfo("billing", 2, 12, 3, 100, Optional.of(Instant.parse("2025-01-31T12:00:00.750Z")),
                        Optional.empty()),
                new SubscriptionInfo("audit", 0, 40, 0, 72, Optional.empty(),
                        Optional.of(Instant.parse("2025-02-07T12:00:00Z"))),
                new SubscriptionInfo("old", 0, 0, 0, 5, Optional.empty(), Optional.empty())));

        assertThat(table.lines()).containsExactly(
                "NAME                     CONSUMERS    PENDING IN-FLIGHT     CURSOR LAST-ACTIVE          EXPIRES",
                "billing                          2         12         3        100 2025-01-31T12:00:00Z -",
                "audit                            0         40         0         72 -                    2025-02-07T12:00:00Z",
                "old                              0          0         0          5 -                    never");
    }

    @Test
    void shouldPrintSubscriptionsAsJsonWithAbsentTimesAsNull() throws Exception {
        String json = SubscriptionCommand.json(List.of(new SubscriptionInfo("billing", 2, 12, 3, 100,
                Optional.of(Instant.parse("2025-01-31T12:00:00Z")), Optional.empty())));

        JsonNode list = Cli.JSON.readTree(json);
        assertThat(list).hasSize(1);
        JsonNode s = list.get(0);
        assertThat(s.get("name").asText()).isEqualTo("billing");
        assertThat(s.get("consumers").asLong()).isEqualTo(2);
        assertThat(s.get("pending").asLong()).isEqualTo(12);
        assertThat(s.get("inFlight").asLong()).isEqualTo(3);
        assertThat(s.get("cursor").asLong()).isEqualTo(100);
        assertThat(s.get("lastActive").asText()).isEqualTo("2025-01-31T12:00:00Z");
        assertThat(s.get("expiresAt").isNull()).isTrue();
    }

    @Test
    void shouldPrintABrowsedMessageLikeAConsumedOneButWithoutADeliveryCount() throws Exception {
        StringWriter text = new StringWriter();
        Headers headers = Headers.builder().add("k", "v").add("bin", new byte[] {0, 1}).build();
        MessageLines.print(new PrintWriter(text), Cli.Output.TEXT, "orders", 7, 0, Instant.parse("2025-01-31T12:00:00Z"),
                "bob", headers, "hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(text.toString().strip()).isEqualTo("[7] hello   (from bob)");

        StringWriter consumed = new StringWriter();
        MessageLines.print(new PrintWriter(consumed), Cli.Output.TEXT, "orders", 7, 2, Instant.EPOCH, "bob", headers,
                new byte[] {27, '['});
        assertThat(consumed.toString().strip()).isEqualTo("[7] base64:G1s=   (from bob, delivery 2)");

        StringWriter json = new StringWriter();
        MessageLines.print(new PrintWriter(json), Cli.Output.JSON, "orders", 7, 0, Instant.parse("2025-01-31T12:00:00Z"),
                "bob", headers, Bytes.utf8("hello").toByteArray());
        JsonNode n = Cli.JSON.readTree(json.toString());
        assertThat(n.has("deliveryCount")).isFalse();
        assertThat(n.get("offset").asLong()).isEqualTo(7);
        assertThat(n.get("payload").asText()).isEqualTo("hello");
        assertThat(n.get("headers").get("k").asText()).isEqualTo("v");
        assertThat(n.get("headers").get("bin").asText()).isEqualTo("base64:AAE=");
    }
}
