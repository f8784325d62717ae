package org.securebroker.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.config.BrokerConfig;

/** Each kind of alert: raised at its threshold, once per window and subject, and not below it. */
class AnomalyDetectorTest {

    private static final class TestClock extends Clock {
        long now = Instant.parse("2026-11-28T10:00:00Z").toEpochMilli();

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }
    }

    private final TestClock clock = new TestClock();
    private final List<AuditEvent> raised = new CopyOnWriteArrayList<>();
    private final AnomalyDetector detector = new AnomalyDetector(new BrokerConfig.Alerts(Duration.ofMinutes(1), 5, 3, 2,
            true, 10, 100), clock, raised::add);

    private static AuditEvent event(String type, String principal, String source) {
        return AuditEvent.of(type).principal(principal).source(source).mechanism("PLAIN").build();
    }

    private List<String> kinds() {
        return raised.stream().map(e -> e.type() + " " + e.principal() + " " + e.source()).toList();
    }

    @Test
    void shouldRaiseABurstOfFailedLoginsPerPrincipalAndPerAddressOncePerWindow() {
        for (int i = 0; i < 4; i++) {
            detector.observe(event("auth.failure", "alice", "/192.0.2.7:" + (5000 + i)));
        }
        assertThat(raised).isEmpty();
        detector.observe(event("auth.failure", "alice", "/192.0.2.7:5009"));
        assertThat(kinds()).containsExactly("alert.auth-failures alice /192.0.2.7:5009",
                "alert.auth-failures null 192.0.2.7");
        for (int i = 0; i < 20; i++) {
            detector.observe(event("auth.failure", "alice", "/192.0.2.7:6000"));
        }
        assertThat(raised).as("once per window").hasSize(2);
        clock.now += Duration.ofMinutes(2).toMillis();
        for (int i = 0; i < 5; i++) {
            detector.observe(event("auth.failure", "alice", "/192.0.2.7:6000"));
        }
        assertThat(raised).hasSize(4);
    }

    @Test
    void shouldNotCountFailuresThatFallOutOfTheWindow() {
        for (int i = 0; i < 10; i++) {
            detector.observe(event("auth.failure", "bob", "/192.0.2.8:1"));
            clock.now += Duration.ofSeconds(20).toMillis();
        }
        assertThat(raised).isEmpty();
    }

    @Test
    void shouldRaiseABurstOfDenials() {
        for (int i = 0; i < 3; i++) {
            detector.observe(event("authz.deny", "carol", "/192.0.2.9:1"));
        }
        assertThat(kinds()).containsExactly("alert.denials carol /192.0.2.9:1");
        assertThat(raised.get(0).reason()).contains("3 or more denied commands");
    }

    @Test
    void shouldRaiseAPrincipalSeenFromANewAddress() {
        detector.observe(event("auth.success", "dave", "/192.0.2.10:1"));
        detector.observe(event("auth.success", "dave", "/192.0.2.10:2"));
        assertThat(raised).as("the first address and the same host again are normal").isEmpty();
        detector.observe(event("auth.success", "dave", "/198.51.100.3:1"));
        assertThat(kinds()).containsExactly("alert.new-source dave 198.51.100.3");
    }

    @Test
    void shouldRaiseAPublishRateFarAboveThePrincipalsBaseline() {
        for (int bucket = 0; bucket < 8; bucket++) {
            detector.traffic("erin", "publish", 200);
            clock.now += AnomalyDetector.BUCKET_MILLIS;
        }
        detector.traffic("erin", "publish", 1);
        assertThat(raised).as("a steady 20 msgs/s is the baseline").isEmpty();
        detector.traffic("erin", "publish", 100_000);
        clock.now += AnomalyDetector.BUCKET_MILLIS;
        detector.traffic("erin", "publish", 1);
        assertThat(kinds()).containsExactly("alert.publish-rate erin null");
        assertThat(raised.get(0).reason()).contains("messages/s");
    }

    @Test
    void shouldNotRaiseARateAlertBelowTheMinimum() {
        for (int bucket = 0; bucket < 8; bucket++) {
            detector.traffic("frank", "consume", 1);
            clock.now += AnomalyDetector.BUCKET_MILLIS;
        }
        detector.traffic("frank", "consume", 500);
        clock.now += AnomalyDetector.BUCKET_MILLIS;
        detector.traffic("frank", "consume", 1);
        assertThat(raised).as("50 msgs/s is 50x the baseline but under the 100/s minimum").isEmpty();
    }

    @Test
    void shouldTakeTheHostOutOfAnAddress() {
        assertThat(AnomalyDetector.host("/192.0.2.7:5000")).isEqualTo("192.0.2.7");
        assertThat(AnomalyDetector.host("/[::1]:5000")).isEqualTo("[::1]");
        assertThat(AnomalyDetector.host((String) null)).isNull();
    }
}
