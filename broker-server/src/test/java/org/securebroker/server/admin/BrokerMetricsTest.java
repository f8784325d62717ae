package org.securebroker.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.securebroker.server.audit.AuditEvent;

class BrokerMetricsTest {

    @Test
    void shouldGiveEverySeriesAHelpTextAndIncludeTheJvm() {
        try (BrokerMetrics metrics = new BrokerMetrics(Clock.systemUTC())) {
            metrics.observe(AuditEvent.of("auth.success").principal("alice").mechanism("PLAIN").build());
            metrics.observe(AuditEvent.of("auth.failure").mechanism("TLS").reason("bad certificate").build());
            metrics.observe(AuditEvent.of("authz.deny").principal("alice").action("publish").build());
            metrics.observe(AuditEvent.of("alert.denials").principal("alice").build());
            metrics.limitRefused("connections");
            String text = metrics.scrape();
            assertThat(text).contains("securebroker_authentications_total", "securebroker_tls_handshake_failures_total",
                    "securebroker_authorization_denials_total", "securebroker_alerts_total", "jvm_memory_used_bytes",
                    "jvm_threads_live_threads", "process_uptime_seconds", "jvm_classes_loaded_classes");
            assertThat(text.lines().filter(l -> l.startsWith("# HELP "))).isNotEmpty()
                    .allSatisfy(l -> assertThat(l.split(" ", 4)).as(l).hasSize(4)
                            .satisfies(parts -> assertThat(parts[3]).as("the help text of %s", parts[2]).isNotBlank()));
        }
    }
}
