package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.client.Subscription;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.Broker;
import org.securebroker.server.BrokerContext;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.store.io.FaultyFileLayer;
import org.securebroker.testing.MutableClock;

/**
 * The admin listener through HTTPS: health, readiness that follows the store, and metrics that
 * move with a scripted workload.
 */
class AdminIT {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) (\\S+)$");

    @TempDir
    Path dir;

    private static HttpClient https(Path caCert) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caCert)) {
            trust.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), new SecureRandom());
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET /metrics as {@code user} with HTTP Basic. */
    private static HttpResponse<String> scrape(HttpClient http, int port, String user, String password) throws Exception {
        String basic = java.util.Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/metrics"))
                .header("Authorization", "Basic " + basic).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> scrape(HttpClient http, int port, TestBroker broker) throws Exception {
        return scrape(http, port, "admin", broker.adminPassword());
    }

    /** Sample name (with labels) to value. */
    private static Map<String, Double> samples(String text) {
        Map<String, Double> out = new HashMap<>();
        for (String line : text.lines().toList()) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                out.put(m.group(1), Double.parseDouble(m.group(2)));
            }
        }
        return out;
    }

    @Test
    void shouldServeHealthAndMetricsThatFollowAWorkload() throws Exception {
        try (TestBroker broker = new TestBroker(dir.resolve("data"))) {
            UserStore.load(broker.broker().config().auth().usersFile()).update(all -> {
                all.put("alice", User.of("alice", PasswordSecrets.derive("a long enough password".toCharArray(),
                        Argon2id.OWASP_MINIMUM, 4096, new SecureRandom()), List.of(), Instant.now()));
                return all;
            });
            HttpClient http = https(broker.caCert());
            int port = broker.broker().adminPort();
            assertThat(get(http, port, "/livez").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(http, port, "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("ready\n");
            assertThat(get(http, port, "/nothing").statusCode()).isEqualTo(404);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(405);
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString())).as("no plaintext").isInstanceOf(Exception.class);

            List<String> received = new CopyOnWriteArrayList<>();
            try (BrokerClient admin = BrokerClient.builder().address("localhost", broker.port())
                    .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                    .credentials("admin", broker.adminPassword().toCharArray()).connect()) {
                admin.createQueue(QueueSpec.named("orders"));
                for (int i = 0; i < 10; i++) {
                    admin.send("orders", Message.of(new byte[100]));
                }
                try (Subscription s = admin.subscribe("orders", "s", m -> {
                    received.add(m.payloadUtf8());
                    m.ack();
                })) {
                    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> received.size() == 10);
                }
            }
            try (BrokerClient alice = BrokerClient.builder().address("localhost", broker.port())
                    .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                    .credentials("alice", "a long enough password".toCharArray()).connect()) {
                assertThatThrownBy(() -> alice.send("orders", Message.of("not allowed")));
            }
            assertThatThrownBy(() -> BrokerClient.builder().address("localhost", broker.port())
                    .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                    .credentials("alice", "the wrong password".toCharArray()).connect());
            try (RawConnection raw = broker.raw()) {
                raw.sendBytes(new byte[] {0, 0, 0, 6, (byte) 0xEE, 0, 0, 0, 0, 1});
                raw.next();
            }

            HttpResponse<String> scraped;
            try (RawConnection open = broker.raw()) {
                scraped = scrape(http, port, broker);
            }
            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                    .startsWith("text/plain; version=0.0.4"));
            Map<String, Double> m = samples(scraped.body());
            assertThat(m).containsEntry("securebroker_messages_published_total", 10.0)
                    .containsEntry("securebroker_messages_delivered_total", 10.0)
                    .containsEntry("securebroker_published_payload_bytes_total", 1000.0)
                    .containsEntry("securebroker_delivered_payload_bytes_total", 1000.0)
                    .containsEntry("securebroker_messages_redelivered_total", 0.0)
                    .containsEntry("securebroker_messages_unacknowledged", 0.0)
                    .containsEntry("securebroker_authorization_denials_total{action=\"publish\"}", 1.0)
                    .containsEntry("securebroker_authentications_total{mechanism=\"SCRAM-SHA-256\",outcome=\"failure\"}",
                            1.0)
                    .containsEntry("securebroker_authentications_total{mechanism=\"SCRAM-SHA-256\",outcome=\"success\"}",
                            2.0)
                    .containsEntry("securebroker_frames_rejected_total", 1.0)
                    .containsEntry("securebroker_queues", 1.0)
                    .containsEntry("securebroker_store_writable", 1.0);
            assertThat(m.get("securebroker_store_fsync_seconds_count")).isGreaterThan(0);
            assertThat(m.get("securebroker_signing_seconds_count")).isGreaterThan(0);
            assertThat(m.get("securebroker_signing_seconds_sum")).isGreaterThan(0);
            assertThat(m.get("securebroker_store_size_bytes")).isGreaterThan(1000);
            assertThat(m.get("securebroker_audit_entries_total")).isGreaterThan(5);
            assertThat(m.get("securebroker_certificate_expiry_seconds{certificate=\"server\"}"))
                    .isGreaterThan((double) Duration.ofDays(300).toSeconds());
            assertThat(m.get("securebroker_connections")).isNotNaN().isGreaterThanOrEqualTo(1.0);
            assertThat(m.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{area=\"heap\""))
                    .anyMatch(k -> k.startsWith("jvm_gc_"));
            assertThat(m.get("jvm_threads_live_threads")).isGreaterThan(1);
            assertThat(m.get("process_uptime_seconds")).isGreaterThan(0);
            assertThat(scraped.body().lines().filter(l -> l.startsWith("# HELP ")))
                    .as("every metric has a HELP text").isNotEmpty()
                    .allSatisfy(l -> assertThat(l.split(" ", 4)).as(l).hasSize(4)
                            .satisfies(parts -> assertThat(parts[3]).as("the help text of %s", parts[2]).isNotBlank()));
        }
    }

    @Test
    void shouldServeMetricsOnlyToAuthenticatedPrincipalsWithTheRight() throws Exception {
        try (TestBroker broker = new TestBroker(dir.resolve("data"))) {
            UserStore.load(broker.broker().config().auth().usersFile()).update(all -> {
                all.put("alice", User.of("alice", PasswordSecrets.derive("a long enough password".toCharArray(),
                        Argon2id.OWASP_MINIMUM, 4096, new SecureRandom()), List.of(), Instant.now()));
                return all;
            });
            HttpClient http = https(broker.caCert());
            int port = broker.broker().adminPort();
            HttpResponse<String> anonymous = get(http, port, "/metrics");
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("Basic realm="));
            assertThat(anonymous.body()).doesNotContain("securebroker_");
            assertThat(get(http, port, "/readyz").statusCode()).as("health stays open").isEqualTo(200);
            assertThat(get(http, port, "/livez").statusCode()).isEqualTo(200);

            HttpResponse<String> wrong = scrape(http, port, "admin", "not the admin password");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.body()).doesNotContain("securebroker_").doesNotContain("password");
            HttpResponse<String> alice = scrape(http, port, "alice", "a long enough password");
            assertThat(alice.statusCode()).as("alice has no read-metrics right").isEqualTo(403);
            assertThat(alice.body()).doesNotContain("securebroker_");
            assertThat(scrape(http, port, broker).statusCode()).isEqualTo(200);

            Path audit = broker.broker().config().audit().dir();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> scrapeRefusals(audit).size() == 2);
            assertThat(scrapeRefusals(audit)).containsExactly("auth.failure admin", "authz.deny alice");
        }
    }

    private static List<String> scrapeRefusals(Path auditDir) throws Exception {
        try (java.util.stream.Stream<org.securebroker.server.audit.AuditEntry> all = org.securebroker.server.audit
                .AuditReader.entries(auditDir, org.securebroker.server.audit.AuditReader.Filter.ALL)) {
            return all.filter(e -> e.reason() != null && e.reason().contains("/metrics"))
                    .map(e -> e.type() + " " + e.principal()).toList();
        }
    }

    @Test
    void shouldRaiseAuditedAlertsForABruteForceAndABurstOfDenials() throws Exception {
        MutableClock clock = MutableClock.atSystemTime();
        try (TestBroker broker = new TestBroker(dir.resolve("data"), c -> c.withAlerts(new BrokerConfig.Alerts(
                Duration.ofMinutes(1), 5, 5, 10, true, 10, 1000)), clock)) {
            UserStore.load(broker.broker().config().auth().usersFile()).update(all -> {
                all.put("alice", User.of("alice", PasswordSecrets.derive("a long enough password".toCharArray(),
                        Argon2id.OWASP_MINIMUM, 4096, new SecureRandom()), List.of(), Instant.now()));
                return all;
            });
            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> BrokerClient.builder().address("localhost", broker.port())
                        .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                        .credentials("alice", "guess guess guess".toCharArray()).connect());
            }
            // the login throttle holds alice back from this address for 1 s after 5 failures; the alert window is 1 min
            clock.advance(Duration.ofSeconds(2));
            try (BrokerClient alice = BrokerClient.builder().address("localhost", broker.port())
                    .trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                    .credentials("alice", "a long enough password".toCharArray()).connect()) {
                for (int i = 0; i < 5; i++) {
                    assertThatThrownBy(() -> alice.send("payroll", Message.of("no")));
                }
            }
            Path audit = broker.broker().config().audit().dir();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> alerts(audit).size() >= 3);
            // the burst is raised for the principal and for the address it came from, once each
            assertThat(alerts(audit)).containsExactlyInAnyOrder("alert.auth-failures alice", "alert.auth-failures null",
                    "alert.denials alice");
            Map<String, Double> m = samples(scrape(https(broker.caCert()), broker.broker().adminPort(), broker).body());
            assertThat(m).containsEntry("securebroker_alerts_total{alert=\"auth-failures\"}", 2.0)
                    .containsEntry("securebroker_alerts_total{alert=\"denials\"}", 1.0);
        }
    }

    private static List<String> alerts(Path auditDir) throws Exception {
        try (java.util.stream.Stream<org.securebroker.server.audit.AuditEntry> all = org.securebroker.server.audit
                .AuditReader.entries(auditDir, org.securebroker.server.audit.AuditReader.Filter.ALL.withType("alert"))) {
            return all.map(e -> e.type() + " " + e.principal()).toList();
        }
    }

    @Test
    void shouldTurnUnreadyWhenTheStoreRefusesWrites() throws Exception {
        Path data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
        FaultyFileLayer disk = new FaultyFileLayer();
        try (Broker broker = Broker.start(TestBroker.config(data), BrokerContext.system().withFiles(disk))) {
            HttpClient http = https(data.resolve("tls/ca.crt"));
            assertThat(get(http, broker.adminPort(), "/readyz").statusCode()).isEqualTo(200);
            try (BrokerClient admin = BrokerClient.builder().address("localhost", broker.port())
                    .trustedCertificates(data.resolve("tls/ca.crt")).brokerSigningKeys(data.resolve("tls/signing-keys.pem")).reconnect(ReconnectPolicy.never())
                    .credentials("admin", Files.readString(data.resolve("secrets/admin.password")).toCharArray())
                    .connect()) {
                admin.createQueue(QueueSpec.named("q"));
                disk.failForce.set(true);
                assertThatThrownBy(() -> admin.send("q", Message.of("lost to the disk")));
            }
            HttpResponse<String> ready = get(http, broker.adminPort(), "/readyz");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("the store refuses writes");
            assertThat(get(http, broker.adminPort(), "/livez").statusCode()).isEqualTo(200);
            assertThat(samples(scrape(http, broker.adminPort(), "admin",
                    Files.readString(data.resolve("secrets/admin.password"))).body()))
                    .containsEntry("securebroker_store_writable", 0.0);
        }
    }
}
