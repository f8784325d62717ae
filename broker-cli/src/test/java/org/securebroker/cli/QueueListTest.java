package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.securebroker.client.QueueInfo;

class QueueListTest {

    @Test
    void shouldPrintTimeToLiveAsTheConfigurationAndTtlOptionWriteIt() {
        StringWriter text = new StringWriter();
        QueueCommand.ListQueues.text(new PrintWriter(text, true), List.of(
                new QueueInfo("orders", 3, 1, 5, "orders.dlq", Duration.ofMinutes(90)),
                new QueueInfo("events", 0, 0, 0, "", Duration.ZERO)));
        List<String> lines = text.toString().lines().toList();
        assertThat(lines.get(1)).startsWith("orders").endsWith(" 1h30m").doesNotContain("PT");
        assertThat(Cli.duration("--ttl", "1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(lines.get(2)).startsWith("events").endsWith(" -");
    }
}
