package org.securebroker.cli;

import org.securebroker.server.rbac.Policy;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.cli.BrokerCli;
import org.securebroker.server.config.BrokerConfig;

/** {@code broker rbac explain / who-can / check} against a data directory with a users file and a policy. */
class RbacCliTest {

    private static final String POLICY = """
            roles:
              orders-producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
              orders-consumer:
                allow:
                  - actions: [consume]
                    resources: ["orders.*"]
                deny:
                  - actions: [consume]
                    resources: [orders.audit]
            principals:
              bob: [orders-producer]
            tokenRoles:
              idp-writers: [orders-producer]
            certificates:
              svc-billing: [orders-consumer]
            """;

    @TempDir
    Path dir;
    Path data;

    private record Run(int exit, String out, String err) {
    }

    /** Runs the CLI against the data directory. */
    private Run run(String... args) {
        return runRaw(Stream.concat(Stream.of(args), Stream.of("--data", data.toString())).toArray(String[]::new));
    }

    private static Run runRaw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void createDataDirectory() throws Exception {
        data = Files.createDirectories(dir.resolve("data"));
        String hash = Argon2id.OWASP_MINIMUM.hash("a-long-password".toCharArray(), new SecureRandom());
        UserStore.create(data.resolve(BrokerConfig.Layout.USERS_FILE), List.of(
                new User("alice", hash, null, List.of("orders-consumer", "ghost"), false, Instant.now()),
                new User("zed", hash, null, List.of("orders-producer"), true, Instant.now())));
        Files.writeString(data.resolve("policy.yaml"), POLICY);
    }

    @Test
    void shouldExplainADenyWithItsRuleVersionAndRoleSourcesAndExitZero() {
        Run r = run("rbac", "explain", "--principal", "alice", "--action", "consume", "--resource", "orders.audit");

        assertThat(r.exit()).as(r.err()).isZero();
        String version = Policy.parse(POLICY, "x").version();
        assertThat(r.out()).contains(
                "DENY: alice consume on orders.audit",
                "decided by: orders-consumer/deny[0] (deny consume on orders.audit), line 11",
                "policy:     " + version + " (" + data.resolve("policy.yaml") + ")",
                "subject:    alice via PLAIN, user of the users file",
                "  orders-consumer from users file (alice)",
                "  ghost from users file (alice): not defined in the policy, ignored",
                "covering allow grants:\n  orders-consumer/allow[0]: allow consume on orders.*, line 8",
                "covering deny grants:\n  orders-consumer/deny[0]: deny consume on orders.audit, line 11");
    }

    @Test
    void shouldExplainInJsonWithTokenClaimsTranslated() throws Exception {
        Run r = run("rbac", "explain", "--principal", "t-1", "--mechanism", "jwt", "--role", "idp-writers",
                "--action", "publish", "--resource", "orders.eu", "--output", "json");

        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertThat(n.get("decision").asText()).isEqualTo("ALLOW");
        assertThat(n.get("ruleId").asText()).isEqualTo("orders-producer/allow[0]");
        assertThat(n.get("rule").asText()).isEqualTo("allow publish on orders.*");
        assertThat(n.get("policyVersion").asText()).isEqualTo(Policy.parse(POLICY, "x").version());
        assertThat(n.get("mechanism").asText()).isEqualTo("JWT");
        assertThat(n.get("user").asBoolean()).isFalse();
        assertThat(n.get("roles")).hasSize(1);
        assertThat(n.get("roles").get(0).get("role").asText()).isEqualTo("orders-producer");
        assertThat(n.get("roles").get(0).get("source").asText()).isEqualTo("tokenRoles");
        assertThat(n.get("roles").get(0).get("via").asText()).isEqualTo("idp-writers");
        assertThat(n.get("allows").get(0).get("ruleId").asText()).isEqualTo("orders-producer/allow[0]");
    }

    /** A configuration file for the data directory that offers JWT with the default roles claim. */
    private Path jwtConfig() throws Exception {
        return Files.writeString(dir.resolve("broker.yaml"), """
                dataDir: %s
                auth:
                  jwt:
                    issuer: https://idp.example/
                    audience: securebroker
                    keys:
                      - kid: idp
                        publicKey: idp.pem
                """.formatted(data));
    }

    @Test
    void shouldWarnThatATokenClaimValueNotInTokenRolesGrantsNothing() throws Exception {
        Run r = run("rbac", "explain", "--config", jwtConfig().toString(), "--principal", "t-1", "--mechanism", "JWT",
                "--role", "orders-producer", "--role", "idp-writers", "--action", "publish", "--resource", "orders.eu");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("ALLOW: t-1 publish on orders.eu\nwarning: a live JWT session gets its roles "
                + "from the token's 'roles' claim through the policy's tokenRoles, and principals; not in tokenRoles, "
                + "so granting nothing: orders-producer; it would have the roles orders-producer and be ALLOW "
                + "(orders-producer/allow[0])\n");
        assertThat(r.out()).contains("orders-producer from token claim (orders-producer): not mapped by tokenRoles, "
                + "grants nothing", "orders-producer from tokenRoles[idp-writers]");
    }

    @Test
    void shouldWarnWhenTheAssumedRolesAreNotThoseOfALiveSession() throws Exception {
        // alice's users-file roles do not allow publishing: --role only assumes one she does not have
        Run r = run("rbac", "explain", "--principal", "alice", "--role", "orders-producer", "--action", "publish",
                "--resource", "orders.eu");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("ALLOW: alice publish on orders.eu\nwarning: a live PLAIN session gets its "
                + "roles from the users file and principals; it would have the roles orders-consumer and be DENY "
                + "(default-deny)\n");

        Run json = run("rbac", "explain", "--principal", "alice", "--role", "orders-producer", "--action", "publish",
                "--resource", "orders.eu", "--output", "json");
        assertThat(new ObjectMapper().readTree(json.out()).get("warning").asText())
                .startsWith("a live PLAIN session gets its roles from the users file");
    }

    @Test
    void shouldWarnWhenNoLiveSessionCouldExist() throws Exception {
        Run noJwt = run("rbac", "explain", "--principal", "t-1", "--mechanism", "JWT", "--role", "idp-writers",
                "--action", "publish", "--resource", "orders.eu");
        assertThat(noJwt.out()).contains("\nwarning: no live JWT session exists: this configuration does not offer "
                + "JWT (auth.jwt is not set)\n");

        Run notAUser = run("rbac", "explain", "--principal", "mallory", "--role", "orders-producer", "--action",
                "publish", "--resource", "orders.eu");
        assertThat(notAUser.out()).contains("\nwarning: no live PLAIN session exists: 'mallory' is not a user of the "
                + "users file");

        Run lookAlike = run("rbac", "explain", "--config", jwtConfig().toString(), "--principal", "b\u043eb",
                "--mechanism", "JWT", "--action", "publish", "--resource", "orders.eu");
        assertThat(lookAlike.out()).contains("\nwarning: no live session can have this principal");
    }

    @Test
    void shouldNotWarnWhenTheLiveSessionWouldHaveTheSameRoles() throws Exception {
        Run jwt = run("rbac", "explain", "--config", jwtConfig().toString(), "--principal", "t-1", "--mechanism", "JWT",
                "--role", "idp-writers", "--action", "publish", "--resource", "orders.eu");
        Run user = run("rbac", "explain", "--principal", "alice", "--action", "consume", "--resource", "orders.eu");

        assertThat(jwt.out()).startsWith("ALLOW: t-1 publish on orders.eu").doesNotContain("warning");
        assertThat(user.out()).startsWith("ALLOW: alice consume on orders.eu").doesNotContain("warning");
    }

    @Test
    void shouldApplyCertificateBindingsOnlyToExternal() {
        Run cert = run("rbac", "explain", "--principal", "svc-billing", "--mechanism", "EXTERNAL", "--action", "consume",
                "--resource", "orders.eu");
        Run password = run("rbac", "explain", "--principal", "svc-billing", "--action", "consume",
                "--resource", "orders.eu");

        assertThat(cert.out()).startsWith("ALLOW: svc-billing consume on orders.eu")
                .contains("orders-consumer from certificates[svc-billing]");
        assertThat(password.exit()).isZero();
        assertThat(password.out()).startsWith("DENY: svc-billing consume on orders.eu")
                .contains("decided by: default-deny (deny by default: no grant of the principal's roles allows it)",
                        "roles:\n  (none)");
    }

    @Test
    void shouldListWhoCanIncludingUsersOfTheUsersFileButNotDisabledOnes() throws Exception {
        Run r = run("rbac", "who-can", "--action", "publish", "--resource", "orders.eu");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("who can publish on orders.eu, policy " + Policy.parse(POLICY, "x").version());
        assertThat(r.out().lines().map(String::strip).map(l -> l.replaceAll("\\s+", " ")).toList()).contains(
                "role orders-producer orders-producer orders-producer/allow[0]",
                "principal bob orders-producer orders-producer/allow[0]",
                "token claim idp-writers orders-producer orders-producer/allow[0]");
        assertThat(r.out()).doesNotContain("zed").doesNotContain("token claim orders-producer");

        Run json = run("rbac", "who-can", "--action", "consume", "--resource", "orders.eu", "--output", "json");
        JsonNode holders = new ObjectMapper().readTree(json.out()).get("holders");
        assertThat(holders.findValuesAsText("name")).containsExactly("orders-consumer", "alice", "svc-billing");
        assertThat(holders.findValuesAsText("kind")).containsExactly("role", "user", "certificate");
    }

    @Test
    void shouldSayNobodyAndStillExitZero() {
        Run r = run("rbac", "who-can", "--action", "admin", "--resource", "broker");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("nobody: no role allows it");
    }

    @Test
    void shouldFallBackToTheBuiltInPolicyWithoutAPolicyFile() throws Exception {
        Files.delete(data.resolve("policy.yaml"));
        Run r = run("rbac", "explain", "--principal", "root", "--role", "admin", "--action", "admin",
                "--resource", "broker");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("ALLOW: root admin on broker", "(built-in defaults)", "admin/allow[0]");
    }

    @Test
    void shouldCheckAPolicyFileAndListEveryProblemWithItsLine() throws Exception {
        Run valid = run("rbac", "check");
        assertThat(valid.exit()).as(valid.err()).isZero();
        assertThat(valid.out()).contains("valid policy", Policy.parse(POLICY, "x").version(), "2 roles");

        Path broken = Files.writeString(dir.resolve("broken.yaml"), POLICY.replace("[publish]", "[publish, shout]")
                .replace("bob: [orders-producer]", "bob: [orders-writer]"));
        Run invalid = runRaw("rbac", "check", "--policy", broken.toString());
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err()).contains("invalid policy " + broken + " (2 problems):",
                "  line 4: roles.orders-producer.allow[0].actions: unknown action 'shout'",
                "  line 14: principals.bob: role 'orders-writer' is not defined under roles");

        Run explain = runRaw("rbac", "explain", "--policy", broken.toString(), "--principal", "bob", "--action",
                "publish", "--resource", "orders.eu");
        assertThat(explain.exit()).isEqualTo(1);
        assertThat(explain.err()).contains("line 4");
    }

    @Test
    void shouldRefuseBadUsageWithExitTwo() {
        Run action = run("rbac", "explain", "--principal", "a", "--action", "write", "--resource", "orders");
        assertThat(action.exit()).isEqualTo(2);
        assertThat(action.err()).contains("unknown action 'write'", "publish, consume, create, delete, purge, "
                + "manage-users, read-audit, read-metrics, admin");

        Run mechanism = run("rbac", "explain", "--principal", "a", "--mechanism", "KERBEROS", "--action", "publish",
                "--resource", "orders");
        assertThat(mechanism.exit()).isEqualTo(2);
        assertThat(mechanism.err()).contains("PLAIN, SCRAM-SHA-256, JWT, EXTERNAL");

        Run pattern = run("rbac", "who-can", "--action", "publish", "--resource", "orders.*");
        assertThat(pattern.exit()).isEqualTo(2);
        assertThat(pattern.err()).contains("is a pattern");

        Run none = run("rbac");
        assertThat(none.exit()).isEqualTo(2);
    }
}
