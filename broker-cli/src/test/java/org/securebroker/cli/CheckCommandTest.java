package org.securebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.audit.AuditKeys;
import org.securebroker.server.audit.AuditLogs;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig.Layout;
import org.securebroker.server.tls.LocalCa;

/** {@code broker check} end to end: a fresh data directory passes, a weak setup fails with every weakness named. */
class CheckCommandTest {

    @TempDir
    Path tmp;
    Path data;

    private record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return Cli.JSON.readTree(out);
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "check";
        System.arraycopy(args, 0, all, 1, args.length);
        int exit = BrokerCli.execute(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void init() throws Exception {
        data = tmp.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, 4096, new SecureRandom(), Clock.systemUTC());
    }

    private static List<String> findings(JsonNode report, String severity) {
        List<String> out = new ArrayList<>();
        report.get("findings").forEach(f -> {
            if (f.get("severity").asText().equals(severity)) {
                out.add(f.get("id").asText() + " " + f.get("subject").asText());
            }
        });
        return out;
    }

    private void writeAuditLog(Instant at, AuditEvent... events) throws Exception {
        AuditLogs.append(data.resolve(Layout.AUDIT_DIR), AuditKeys.loadPrivate(data.resolve(Layout.AUDIT_PRIVATE_KEY)),
                at, events);
    }

    @Test
    void shouldReportNoHighFindingAndExitZeroRightAfterInit() throws Exception {
        Run text = run("--data", data.toString());
        Run json = run("--data", data.toString(), "--output", "json");

        assertThat(text.exit()).as(text.out() + text.err()).isZero();
        assertThat(text.out()).startsWith("broker check of " + data.toAbsolutePath()).contains(": 0 high, ")
                .contains("LOW     policy-wildcard-admin  admin/allow[0]").contains("  fix: ");
        assertThat(json.exit()).isZero();
        assertThat(json.json().get("summary").get("high").asInt()).isZero();
        assertThat(findings(json.json(), "high")).isEmpty();
        assertThat(findings(json.json(), "medium")).as("disk space aside, nothing to fix soon")
                .allMatch(f -> f.startsWith("disk-space"));
    }

    @Test
    void shouldReportNoHighFindingForADefaultSetupThatHasRun() throws Exception {
        Files.createDirectories(data.resolve("store"));
        writeAuditLog(Instant.now().minus(Duration.ofHours(1)), AuditEvent.of("broker.start").build(),
                AuditEvent.of("auth.success").principal("admin").mechanism("SCRAM-SHA-256").build());

        Run json = run("--data", data.toString(), "--output", "json");

        assertThat(json.exit()).as(json.out() + json.err()).isZero();
        assertThat(findings(json.json(), "high")).isEmpty();
        assertThat(findings(json.json(), "info")).contains("audit-log-verified " + data.resolve(Layout.AUDIT_DIR));
    }

    @Test
    void shouldReportEveryWeaknessOfAWeakSetupAndExitOne() throws Exception {
        Path kek = data.resolve(Layout.KEK_FILE);
        Files.setPosixFilePermissions(kek, PosixFilePermissions.fromString("rw-r--r--"));
        LocalCa.load(data.resolve(Layout.TLS_DIR), new SecureRandom(), Clock.systemUTC()).issueServer("securebroker",
                List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(10), data.resolve(Layout.SERVER_CERT),
                data.resolve(Layout.SERVER_KEY));
        Files.writeString(data.resolve(Layout.POLICY_FILE), """
                roles:
                  admin:
                    allow:
                      - actions: ["*"]
                        resources: ["*"]
                principals:
                  mallory: [admin]
                """);
        UserStore users = UserStore.load(data.resolve(Layout.USERS_FILE));
        User admin = users.find("admin").orElseThrow();
        users.update(all -> {
            all.put("bob", new User("bob", admin.passwordHash(), admin.scram(), List.of(), false,
                    Instant.now().minus(Duration.ofDays(100))));
            return all;
        });
        writeAuditLog(Instant.now().minus(Duration.ofDays(1)), AuditEvent.of("auth.success").principal("admin").build());
        Path config = Files.writeString(tmp.resolve("broker.yaml"), """
                dataDir: data
                authorization:
                  disabledForBenchmarks: true
                """);

        Run json = run("--config", config.toString(), "--output", "json");
        Run text = run("--config", config.toString());

        assertThat(json.exit()).as(json.out() + json.err()).isEqualTo(1);
        JsonNode report = json.json();
        assertThat(findings(report, "high")).contains("key-file-permissions " + kek,
                "authorization-disabled authorization.disabledForBenchmarks");
        assertThat(findings(report, "medium")).contains("policy-wildcard-admin admin/allow[0]", "user-stale user bob")
                .anyMatch(f -> f.startsWith("tls-certificate-expiry " + data.resolve(Layout.SERVER_CERT)));
        assertThat(report.get("summary").get("high").asInt()).isEqualTo(findings(report, "high").size());
        JsonNode first = report.get("findings").get(0);
        assertThat(first.has("finding")).isTrue();
        assertThat(first.get("fix").asText()).isNotBlank();

        assertThat(text.exit()).isEqualTo(1);
        assertThat(text.out()).contains("HIGH    key-file-permissions  " + kek).contains("  fix: chmod 600 " + kek);
    }

    @Test
    void shouldExitTwoForBadUsageOrConfiguration() throws Exception {
        Run noData = run("--data", tmp.resolve("nowhere").toString());
        Path bad = Files.writeString(tmp.resolve("bad.yaml"), "dataDir: data\nbogus: 1\n");
        Run badConfig = run("--config", bad.toString());
        Run missingDataDir = run("--config", Files.writeString(tmp.resolve("elsewhere.yaml"), "dataDir: gone\n").toString());
        Run badAge = run("--data", data.toString(), "--stale-after", "soon");

        assertThat(noData.exit()).isEqualTo(2);
        assertThat(noData.err()).contains("no data directory at");
        assertThat(badConfig.exit()).isEqualTo(2);
        assertThat(badConfig.err()).contains("bogus");
        assertThat(missingDataDir.exit()).isEqualTo(2);
        assertThat(badAge.exit()).isEqualTo(2);
        assertThat(badAge.err()).contains("--stale-after");
    }
}
