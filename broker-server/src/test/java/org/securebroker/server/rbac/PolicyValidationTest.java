package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A policy file is refused as a whole, with every problem, its line and what is allowed. */
class PolicyValidationTest {

    @TempDir
    Path dir;

    private static List<String> problems(String yaml) {
        try {
            Policy.parse(yaml, "test.yaml");
        } catch (PolicyException e) {
            assertThat(e.source()).isEqualTo("test.yaml");
            assertThat(e.getMessage()).startsWith("invalid policy test.yaml:");
            return e.problems();
        }
        throw new AssertionError("expected the policy to be refused");
    }

    @Test
    void shouldReportEveryProblemOfAFileTogetherEachWithItsLine() {
        List<String> problems = problems("""
                roles:
                  writer:
                    allow:
                      - actions: [publish, shout]
                        resources: ["orders.*", "bad#name"]
                    deny:
                      - actions: []
                        resources: ["x"]
                  reader:
                    allow:
                      - actions: [consume]
                        resources: []
                    grant: []
                principals:
                  alice: [writer, nobody]
                tokenRoles:
                  idp-x: [ghost]
                certificates:
                  "bad name": [reader]
                extra: true
                """);
        assertThat(problems).containsExactly(
                "line 20: extra: unknown key; allowed here: roles, principals, tokenRoles, certificates",
                "line 4: roles.writer.allow[0].actions: unknown action 'shout'; allowed: \"*\" (every action), "
                        + "publish, consume, create, delete, purge, manage-users, read-audit, read-metrics, admin",
                "line 5: roles.writer.allow[0].resources: resource pattern 'bad#name' contains '#'; allowed are "
                        + "letters, digits and . _ - * : / @",
                "line 7: roles.writer.deny[0].actions: an empty list grants nothing; name at least one",
                "line 13: roles.reader.grant: unknown key; allowed here: allow, deny",
                "line 12: roles.reader.allow[0].resources: an empty list grants nothing; name at least one",
                "line 15: principals.alice: role 'nobody' is not defined under roles; defined: writer, reader",
                "line 17: tokenRoles.idp-x: role 'ghost' is not defined under roles; defined: writer, reader",
                "line 19: certificates.bad name: a client certificate never maps to this principal: invalid user "
                        + "name 'bad name': use 1-128 characters of letters, digits, '.', '_', '@' or '-', starting "
                        + "with a letter or digit");
    }

    @Test
    void shouldRefuseUnknownKeysInsideAGrant() {
        assertThat(problems("""
                roles:
                  r:
                    allow:
                      - actions: [publish]
                        resources: [a]
                        queues: [b]
                """)).containsExactly("line 6: roles.r.allow[0].queues: unknown key; allowed here: actions, resources");
    }

    @Test
    void shouldRequireBothActionsAndResources() {
        assertThat(problems("""
                roles:
                  r:
                    deny:
                      - actions: [publish]
                """)).containsExactly("line 4: roles.r.deny[0].resources: required: a list such as [\"orders.*\"]");
    }

    @Test
    void shouldSayHowToWriteASingleValueAsAList() {
        assertThat(problems("""
                roles:
                  r:
                    allow:
                      - actions: publish
                        resources: [a]
                principals:
                  alice: r
                """)).containsExactly(
                "line 4: roles.r.allow[0].actions: expected a list, found a value; write [publish]",
                "line 7: principals.alice: expected a list of roles, found a value; write [r]");
    }

    @Test
    void shouldRefuseBadPatterns() {
        String tooLong = "a".repeat(256);
        assertThat(problems("""
                roles:
                  r:
                    allow:
                      - actions: [publish]
                        resources:
                          - "orders.**"
                          - "with space"
                          - "%s"
                          - "é"
                """.formatted(tooLong))).containsExactly(
                "line 6: roles.r.allow[0].resources: resource pattern 'orders.**' contains '**'; one '*' already "
                        + "matches any run of characters",
                "line 7: roles.r.allow[0].resources: resource pattern 'with space' contains ' '; allowed are letters, "
                        + "digits and . _ - * : / @",
                "line 8: roles.r.allow[0].resources: resource pattern of 256 characters; at most 255 are allowed",
                "line 9: roles.r.allow[0].resources: resource pattern 'é' contains 'é'; allowed are letters, digits "
                        + "and . _ - * : / @");
        assertThatCode(() -> ResourcePattern.parse("a".repeat(255))).doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseAGrantOfFixedResourceActionsThatCanNeverApply() {
        assertThat(problems("""
                roles:
                  r:
                    allow:
                      - actions: [read-audit, admin]
                        resources: ["orders.*", audit, "*"]
                """)).containsExactly("line 5: roles.r.allow[0].resources: 'orders.*' can never match: read-audit "
                + "acts only on 'audit', admin acts only on 'broker'");
        assertThatCode(() -> Policy.parse("""
                roles:
                  r:
                    allow:
                      - actions: [read-audit, publish]
                        resources: ["orders.*"]
                """, "mixed.yaml")).doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseInvalidRoleNamesAndRolesThatAreNotMappings() {
        assertThat(problems("""
                roles:
                  "-lead": {}
                  "has space": {}
                  plain: yes
                """)).containsExactly(
                "line 2: roles.-lead: invalid role name; use 1-128 letters, digits and . _ - : @, starting with a "
                        + "letter or digit",
                "line 3: roles.has space: invalid role name; use 1-128 letters, digits and . _ - : @, starting with "
                        + "a letter or digit",
                "line 4: roles.plain: expected a mapping with allow and/or deny lists, found a value");
    }

    @Test
    void shouldRequireRolesAndRefuseAnEmptyFile() {
        assertThat(problems("")).containsExactly(
                "line 1: roles: required: define the roles (an empty mapping {} denies everything)");
        assertThat(problems("principals: {}\n")).containsExactly(
                "line 1: roles: required: define the roles (an empty mapping {} denies everything)");
        assertThat(problems("- a\n- b\n")).containsExactly(
                "line 1: the policy must be a mapping with the keys roles, principals, tokenRoles, certificates");
        Policy denyAll = Policy.parse("roles: {}\n", "empty.yaml");
        assertThat(denyAll.decide(java.util.Set.of("admin"), Action.ADMIN, "broker").ruleId())
                .isEqualTo(Decision.DEFAULT_DENY);
    }

    @Test
    void shouldRefuseEmptyBindingsExceptATokenValueThatGrantsNothing() {
        assertThat(problems("""
                roles:
                  r: {}
                principals:
                  alice: []
                certificates:
                  svc: []
                tokenRoles:
                  r: []
                """)).containsExactly(
                "line 4: principals.alice: an empty list binds no role; name at least one or remove the entry",
                "line 6: certificates.svc: an empty list binds no role; name at least one or remove the entry");
    }

    @Test
    void shouldReportYamlErrorsAndRepeatedKeysWithTheirLine() {
        assertThat(problems("""
                roles:
                  r: {}
                  r: {}
                """)).containsExactly("line 3: key 'r' appears twice (first on line 2)");
        assertThat(problems("""
                roles:
                  r:
                    allow:
                      - actions: [*]
                """)).singleElement().satisfies(p -> assertThat(p).startsWith("line 4: not valid YAML"));
    }

    @Test
    void shouldNameTheFileAndRefuseAMissingOne() throws Exception {
        Path file = Files.writeString(dir.resolve("policy.yaml"), "roles:\n  r:\n    allow: [1]\n");
        try {
            Policy.load(file);
            throw new AssertionError("expected a refusal");
        } catch (PolicyException e) {
            assertThat(e.source()).isEqualTo(file.toString());
            assertThat(e.problems()).containsExactly(
                    "line 3: roles.r.allow[0]: expected a mapping with actions and resources, found a value");
        }
        try {
            Policy.load(dir.resolve("missing.yaml"));
            throw new AssertionError("expected a refusal");
        } catch (PolicyException e) {
            assertThat(e.problems()).containsExactly("the file does not exist");
        }
    }

    @Test
    void shouldLoadTheShippedExample() {
        Path example = Path.of("..", "conf", "policy.yaml");
        Policy policy = Policy.load(example);
        assertThat(policy.roleNames()).containsExactly("admin", "auditor", "orders-consumer", "orders-producer");
        assertThat(policy.decide(new Subject("alice", "PLAIN", List.of(), true), Action.PUBLISH, "orders.eu").ruleId())
                .isEqualTo("orders-producer/allow[0]");
        assertThat(policy.decide(new Subject("svc-billing", "EXTERNAL", List.of(), false), Action.CONSUME,
                "orders.audit").ruleId()).isEqualTo("orders-consumer/deny[0]");
        assertThat(policy.decide(new Subject("x", "JWT", List.of("idp-orders-writers"), false), Action.PUBLISH,
                "orders.eu").allowed()).isTrue();
        assertThat(policy.decide(new Subject("root", "PLAIN", List.of("admin"), true), Action.ADMIN, "broker")
                .ruleId()).isEqualTo("admin/allow[0]");
    }
}
