package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.audit.AuditEvent;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;
import org.securebroker.server.rbac.Grant;
import org.securebroker.server.rbac.Policy;

/** The policy check: wildcard administration grants, unused grants, and the switches that weaken authorization. */
class PolicyCheckTest {

    private static final String ADMIN_ROLE = """
            roles:
              admin:
                allow:
                  - actions: ["*"]
                    resources: ["*"]
            """;

    @TempDir
    Path tmp;
    Path data;
    Path policyFile;
    BrokerConfig config;
    final PolicyCheck check = new PolicyCheck();

    @BeforeEach
    void init() throws Exception {
        data = CheckFixture.init(tmp);
        policyFile = data.resolve(Layout.POLICY_FILE);
        config = CheckFixture.config(data);
    }

    @Test
    void shouldRateTheAdminGrantOfAFreshDataDirectoryLow() throws Exception {
        List<Finding> findings = check.run(CheckFixture.context(config));

        assertThat(findings).extracting(Finding::id).containsExactly("policy-wildcard-admin", "policy-usage-unknown");
        assertThat(findings.get(0)).satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.LOW);
            assertThat(f.subject()).isEqualTo("admin/allow[0]");
            assertThat(f.finding()).contains("allow * on *").contains("held by user admin");
        });
        assertThat(findings.get(1).severity()).isEqualTo(Severity.INFO);
    }

    @Test
    void shouldRateAWildcardGrantHeldByAnotherPrincipalMedium() throws Exception {
        Files.writeString(policyFile, ADMIN_ROLE + """
                principals:
                  mallory: [admin]
                """);

        assertThat(CheckFixture.withId(check.run(CheckFixture.context(config)), "policy-wildcard-admin"))
                .singleElement().satisfies(f -> {
                    assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
                    assertThat(f.finding()).contains("user admin, principal mallory");
                    assertThat(f.fix()).contains("broker rbac check --policy " + policyFile);
                });
    }

    @Test
    void shouldRateAnotherRoleWithUserManagementOnEverythingMedium() throws Exception {
        Files.writeString(policyFile, ADMIN_ROLE + """
                  ops:
                    allow:
                      - actions: [manage-users]
                        resources: ["*"]
                      - actions: [publish, consume]
                        resources: ["*"]
                tokenRoles:
                  idp-ops: [ops]
                """);

        List<Finding> wildcard = CheckFixture.withId(check.run(CheckFixture.context(config)), "policy-wildcard-admin");

        assertThat(wildcard).extracting(Finding::subject, Finding::severity).containsExactly(
                tuple("admin/allow[0]", Severity.LOW),
                tuple("ops/allow[0]", Severity.MEDIUM));
        assertThat(wildcard.get(1).finding()).contains("token claim idp-ops");
    }

    @Test
    void shouldCountOnlyAdministrationOrEveryActionOnEveryResourceAsWildcard() {
        Policy policy = Policy.parse("""
                roles:
                  a:
                    allow:
                      - actions: [admin]
                        resources: [broker]
                      - actions: [publish, consume, create, delete, purge, read-audit]
                        resources: ["*"]
                      - actions: [manage-users]
                        resources: ["*", "x"]
                    deny:
                      - actions: ["*"]
                        resources: ["*"]
                """, "test");

        assertThat(policy.grants().stream().filter(PolicyCheck::isWildcardAdmin).map(Grant::ruleId))
                .containsExactly("a/allow[2]");
        assertThat(policy.denies()).noneMatch(PolicyCheck::isWildcardAdmin);
    }

    @Test
    void shouldRateDisabledAuthorizationHighAndAutoCreatedQueuesMedium() throws Exception {
        BrokerConfig.Queues q = config.queues();
        BrokerConfig weak = config
                .withAuthorization(new BrokerConfig.Authorization(policyFile, true))
                .withQueues(new BrokerConfig.Queues(true, q.ackTimeout(), q.maxMessageBytes(), q.dedupWindow(),
                        q.define()));

        List<Finding> findings = check.run(CheckFixture.context(weak));

        assertThat(CheckFixture.withId(findings, "authorization-disabled")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.HIGH));
        assertThat(CheckFixture.withId(findings, "queues-auto-create")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.MEDIUM));
        assertThat(CheckFixture.withId(findings, "policy-usage-unknown")).as("nothing is audited").isEmpty();
    }

    @Test
    void shouldRateAMissingOrInvalidPolicyHigh() throws Exception {
        Files.writeString(policyFile, "roles:\n  admin:\n    allow:\n      - actions: [fly]\n        resources: [\"*\"]\n");
        List<Finding> invalid = check.run(CheckFixture.context(config));
        Files.delete(policyFile);
        List<Finding> missing = check.run(CheckFixture.context(config));

        assertThat(invalid).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("policy-invalid");
            assertThat(f.finding()).contains("fly");
        });
        assertThat(missing).extracting(Finding::id, Finding::severity)
                .containsExactly(tuple("policy-invalid", Severity.HIGH));
    }

    @Test
    void shouldRateGrantsTheAuditLogShowsUnusedLowOrInfoWhenTheLogIsTooYoung() throws Exception {
        Files.writeString(policyFile, ADMIN_ROLE + """
                  auditor:
                    allow:
                      - actions: [read-audit]
                        resources: [audit]
                """);
        String version = Policy.load(policyFile).version();
        Instant now = Instant.now();
        AuditEvent adminAllow = AuditEvent.of("authz.allow").principal("admin").action("admin").resource("broker")
                .decision("allow").rule("admin/allow[0]").policy(version).detail("count", 1).build();
        CheckFixture.audit(config, now.minus(Duration.ofDays(10)), CheckFixture.login("admin"));
        CheckFixture.audit(config, now.minus(Duration.ofDays(5)), adminAllow);

        List<Finding> young = CheckFixture.withId(check.run(CheckFixture.context(config, now)), "policy-unused-grant");
        CheckContext sinceNineDays = new CheckContext(config, now, new CheckContext.Thresholds(Duration.ofDays(30),
                Duration.ofDays(365), Duration.ofDays(90), now.minus(Duration.ofDays(9))), Map.of());
        List<Finding> covered = CheckFixture.withId(check.run(sinceNineDays), "policy-unused-grant");

        assertThat(young).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.INFO);
            assertThat(f.subject()).isEqualTo("auditor/allow[0]");
            assertThat(f.finding()).contains("the audit log starts at");
        });
        assertThat(covered).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.LOW);
            assertThat(f.subject()).isEqualTo("auditor/allow[0]");
        });
    }
}
