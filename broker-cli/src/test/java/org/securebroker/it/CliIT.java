package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.util.List;
import java.util.regex.Pattern;
import org.securebroker.server.auth.jwt.DevTokens;
import org.securebroker.server.config.BrokerConfig;

/** The operator CLI against a running broker. */
class CliIT {

    @TempDir
    Path dir;

    @Test
    void shouldInitializeADataDirectoryOnceWithPrivateFiles() throws Exception {
        Path data = dir.resolve("data");
        CliRun init = CliRun.of("", "init", "--data", data.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        assertThat(init.out()).contains("ca.crt").contains("kek.keys").contains("admin.password");
        assertThat(init.out()).doesNotContain(Files.readString(data.resolve(BrokerConfig.Layout.ADMIN_PASSWORD_FILE)));
        for (String secret : new String[] {BrokerConfig.Layout.KEK_FILE, BrokerConfig.Layout.ADMIN_PASSWORD_FILE,
            BrokerConfig.Layout.SERVER_KEY, "tls/ca.key", BrokerConfig.Layout.USERS_FILE}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(secret)))).as(secret)
                    .isEqualTo("rw-------");
        }
        CliRun again = CliRun.of("", "init", "--data", data.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("initialized already");
    }

    @Test
    void shouldReachTheBrokerWithADevelopmentTokenOrAClientCertificate() throws Exception {
        Path data = dir.resolve("data");
        try (TestBroker broker = new TestBroker(data, c -> {
            BrokerConfig.Tls t = c.tls();
            return c.withAuth(c.auth().withJwt(DevTokens.config(c.dataDir().resolve(BrokerConfig.Layout.JWT_DEV_PUBLIC_KEY))))
                    .withTls(new BrokerConfig.Tls(t.certificate(), t.privateKey(), t.provider(), BrokerConfig.ClientAuth.OPTIONAL, c.dataDir().resolve(BrokerConfig.Layout.CA_CERT), null,
                    List.of(new BrokerConfig.PrincipalRule(BrokerConfig.PrincipalSource.SUBJECT,
                            Pattern.compile("CN=([^,]+)(,.*)?")))));
        })) {
            String server = "127.0.0.1:" + broker.port();
            String d = data.toString();
            // roles from a certificate mapping: svc-a may consume from 'minted', so the listing shows it
            java.nio.file.Files.writeString(broker.broker().config().authorization().policyFile(), """
                    roles:
                      admin:
                        allow:
                          - actions: ["*"]
                            resources: ["*"]
                      reader:
                        allow:
                          - actions: [consume]
                            resources: [minted]
                    certificates:
                      svc-a: [reader]
                    tokenRoles:
                      admin: [admin]
                    """);
            broker.broker().reload();
            CliRun mint = CliRun.of("", "token", "mint", "--subject", "ops", "--role", "admin", "--ttl", "5m", "--data", d);
            assertThat(mint.exit()).as(mint.err()).isZero();
            assertThat(mint.err()).contains("development aid");
            CliRun create = CliRun.of(mint.out().strip() + "\n", "queue", "create", "minted", "--token-stdin", "--data", d,
                    "--server", server);
            assertThat(create.exit()).as(create.err()).isZero();

            CliRun issue = CliRun.of("", "certs", "issue", "svc-a", "--data", d);
            assertThat(issue.exit()).as(issue.err()).isZero();
            Path clients = data.resolve("tls/clients");
            CliRun list = CliRun.of("", "queue", "list", "--client-cert", clients.resolve("svc-a.crt").toString(), "--client-key",
                    clients.resolve("svc-a.key").toString(), "--data", d, "--server", server);
            assertThat(list.exit()).as(list.err()).isZero();
            assertThat(list.out()).contains("minted");
            CliRun half = CliRun.of("", "queue", "list", "--client-cert", clients.resolve("svc-a.crt").toString(), "--data", d,
                    "--server", server);
            assertThat(half.exit()).isEqualTo(2);
            assertThat(half.err()).contains("--client-cert and --client-key go together");
        }
    }

    @Test
    void shouldManageUsersQueuesAndMessages() throws Exception {
        Path data = dir.resolve("data");
        try (TestBroker broker = new TestBroker(data)) {
            String server = "127.0.0.1:" + broker.port();
            String d = data.toString();

            CliRun add = CliRun.of("a-long-password-for-carol\n", "user", "add", "carol", "--password-stdin", "--data", d);
            assertThat(add.exit()).as(add.err()).isZero();
            CliRun weak = CliRun.of("short\n", "user", "add", "dave", "--password-stdin", "--data", d);
            assertThat(weak.exit()).isEqualTo(2);
            assertThat(weak.err()).contains("12 to 256");
            JsonNode users = new ObjectMapper().readTree(CliRun.of("", "user", "list", "--output", "json", "--data", d).out());
            assertThat(users).hasSize(2);
            assertThat(users.toString()).contains("carol").doesNotContain("argon2");

            CliRun create = CliRun.of("", "queue", "create", "orders", "--max-deliveries", "3", "--dead-letter-queue", "orders.dlq",
                    "--data", d, "--server", server);
            assertThat(create.exit()).as(create.err()).isZero();
            JsonNode queues = new ObjectMapper().readTree(CliRun.of("", "queue", "list", "--output", "json", "--data", d,
                    "--server", server).out());
            assertThat(queues.findValuesAsText("name")).containsExactly("orders", "orders.dlq");

            CliRun denied = CliRun.of("a-long-password-for-carol\n", "queue", "create", "x", "--user", "carol", "--password-stdin",
                    "--data", d, "--server", server);
            assertThat(denied.exit()).isEqualTo(1);
            assertThat(denied.err()).contains("'carol' is not authorized to create queue 'x'");

            CliRun produce = CliRun.of("first line\nsecond line\n", "produce", "orders", "--data", d, "--server", server);
            assertThat(produce.exit()).as(produce.err()).isZero();
            assertThat(produce.out()).contains("offset 0").contains("offset 1");
            CliRun consume = CliRun.of("", "consume", "orders", "--count", "2", "--output", "json", "--data", d, "--server", server);
            assertThat(consume.exit()).as(consume.err()).isZero();
            assertThat(consume.out()).contains("\"payload\":\"first line\"").contains("\"payload\":\"second line\"")
                    .contains("\"producer\":\"admin\"");
            CliRun nothingLeft = CliRun.of("", "consume", "orders", "--wait", "500ms", "--data", d, "--server", server);
            assertThat(nothingLeft.err()).contains("0 message(s)");

            // more lines than the client's send buffer holds (1,024): produce waits for acknowledgements instead of failing
            assertThat(CliRun.of("", "queue", "create", "bulk", "--data", d, "--server", server).exit()).isZero();
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 3000; i++) {
                lines.append("line ").append(i).append('\n');
            }
            CliRun bulk = CliRun.of(lines.toString(), "produce", "bulk", "--data", d, "--server", server);
            assertThat(bulk.exit()).as(bulk.err()).isZero();
            assertThat(bulk.out().lines().filter(l -> l.startsWith("stored at offset"))).hasSize(3000);
            assertThat(bulk.out()).contains("stored at offset 2999");
            assertThat(CliRun.of("", "queue", "delete", "bulk", "--data", d, "--server", server).exit()).isZero();

            CliRun missing = CliRun.of("", "produce", "nope", "-m", "x", "--data", d, "--server", server);
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err()).contains("queue 'nope' does not exist");

            assertThat(CliRun.of("", "queue", "delete", "orders", "--data", d, "--server", server).exit()).isZero();
            CliRun wrongPassword = CliRun.of("not-the-password-at-all\n", "queue", "list", "--password-stdin", "--data", d,
                    "--server", server);
            assertThat(wrongPassword.exit()).isEqualTo(1);
            assertThat(wrongPassword.err()).contains("authentication failed");
        }
    }

    @Test
    void shouldExplainBadUsage() {
        CliRun unknown = CliRun.of("", "frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("frobnicate");
        CliRun badConfig = CliRun.of("", "user", "list", "--config", dir.resolve("missing.yaml").toString());
        assertThat(badConfig.exit()).isEqualTo(2);
        assertThat(badConfig.err()).contains("does not exist");
    }
}
