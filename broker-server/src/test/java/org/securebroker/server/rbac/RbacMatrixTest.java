package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every subject below asks every action on every resource below; the table of expectations says
 * what must be allowed or explicitly denied, and by which rule. Everything the table does not
 * mention must be denied by default. Rows are read top to bottom and a later row overrides an
 * earlier one for what they both cover ({@code *} covers every action or resource).
 */
class RbacMatrixTest {

    private static final Policy POLICY = Policy.parse("""
            roles:
              admin:
                allow:
                  - actions: ["*"]
                    resources: ["*"]
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
              dlq-operator:
                allow:
                  - actions: [consume, purge]
                    resources: ["*.dlq"]
                  - actions: [create, delete]
                    resources: [scratch]
              no-purge:
                deny:
                  - actions: [purge]
                    resources: ["*"]
              auditor:
                allow:
                  - actions: [read-audit]
                    resources: [audit]
              user-admin:
                allow:
                  - actions: [manage-users]
                    resources: ["*"]
                deny:
                  - actions: [manage-users]
                    resources: [admin]
            principals:
              carol: [dlq-operator]
            tokenRoles:
              idp-writers: [orders-producer]
              admin: []
            certificates:
              svc-billing: [orders-consumer, no-purge]
            """, "matrix.yaml");

    /** Who asks: a label, and the subject authentication would produce. */
    private static final Map<String, Subject> SUBJECTS = new LinkedHashMap<>();

    static {
        // users-file roles (trusted as they are, if the policy defines them)
        SUBJECTS.put("root", new Subject("root", "PLAIN", List.of("admin"), true));
        SUBJECTS.put("dave", new Subject("dave", "SCRAM-SHA-256", List.of("orders-producer", "ghost"), true));
        SUBJECTS.put("erin", new Subject("erin", "PLAIN", List.of("dlq-operator", "no-purge"), true));
        SUBJECTS.put("uma", new Subject("uma", "SCRAM-SHA-256", List.of("user-admin"), true));
        // a users-file role named like a tokenRoles key is not translated: translation is for tokens
        SUBJECTS.put("frank", new Subject("frank", "PLAIN", List.of("idp-writers"), true));
        // principals binding, for any mechanism
        SUBJECTS.put("carol", new Subject("carol", "PLAIN", List.of(), true));
        SUBJECTS.put("carol-token", new Subject("carol", "JWT", List.of(), false));
        // JWT claim values: translated; named like a defined role but not in tokenRoles, blocked, unknown
        // (the last three grant nothing)
        SUBJECTS.put("token-writer", new Subject("t1", "JWT", List.of("idp-writers"), false));
        SUBJECTS.put("token-auditor", new Subject("t2", "JWT", List.of("auditor"), false));
        SUBJECTS.put("token-admin", new Subject("t3", "JWT", List.of("admin"), false));
        SUBJECTS.put("token-unknown", new Subject("t4", "JWT", List.of("idp-nobody"), false));
        // certificate mapping: only for EXTERNAL
        SUBJECTS.put("billing-cert", new Subject("svc-billing", "EXTERNAL", List.of(), false));
        SUBJECTS.put("billing-password", new Subject("svc-billing", "PLAIN", List.of(), true));
    }

    private static final List<String> RESOURCES = List.of(
            "orders.eu", "orders.eu.dlq", "orders.audit", "orders", "payments.dlq", "scratch", "scratch2",
            "bob", "admin", "audit", "broker");

    private static final String EXPECTED = """
            # who              action         resource        expected
            root               *              *               allow admin/allow[0]
            dave               publish        orders.eu       allow orders-producer/allow[0]
            dave               publish        orders.eu.dlq   allow orders-producer/allow[0]
            dave               publish        orders.audit    allow orders-producer/allow[0]
            erin               consume        orders.eu.dlq   allow dlq-operator/allow[0]
            erin               consume        payments.dlq    allow dlq-operator/allow[0]
            erin               create         scratch         allow dlq-operator/allow[1]
            erin               delete         scratch         allow dlq-operator/allow[1]
            erin               purge          *               deny  no-purge/deny[0]
            uma                manage-users   *               allow user-admin/allow[0]
            uma                manage-users   admin           deny  user-admin/deny[0]
            carol              consume        orders.eu.dlq   allow dlq-operator/allow[0]
            carol              consume        payments.dlq    allow dlq-operator/allow[0]
            carol              purge          orders.eu.dlq   allow dlq-operator/allow[0]
            carol              purge          payments.dlq    allow dlq-operator/allow[0]
            carol              create         scratch         allow dlq-operator/allow[1]
            carol              delete         scratch         allow dlq-operator/allow[1]
            carol-token        consume        orders.eu.dlq   allow dlq-operator/allow[0]
            carol-token        consume        payments.dlq    allow dlq-operator/allow[0]
            carol-token        purge          orders.eu.dlq   allow dlq-operator/allow[0]
            carol-token        purge          payments.dlq    allow dlq-operator/allow[0]
            carol-token        create         scratch         allow dlq-operator/allow[1]
            carol-token        delete         scratch         allow dlq-operator/allow[1]
            token-writer       publish        orders.eu       allow orders-producer/allow[0]
            token-writer       publish        orders.eu.dlq   allow orders-producer/allow[0]
            token-writer       publish        orders.audit    allow orders-producer/allow[0]
            # token-auditor, token-admin and token-unknown: nothing, not even as the role of the same name
            billing-cert       consume        orders.eu       allow orders-consumer/allow[0]
            billing-cert       consume        orders.eu.dlq   allow orders-consumer/allow[0]
            billing-cert       consume        orders.audit    deny  orders-consumer/deny[0]
            billing-cert       purge          *               deny  no-purge/deny[0]
            """;

    private record Row(String who, String action, String resource, boolean allowed, String ruleId) {
    }

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (String line : EXPECTED.strip().lines().toList()) {
            if (line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            String[] f = line.strip().split("\\s+");
            assertThat(f).as(line).hasSize(5);
            assertThat(SUBJECTS).as(line).containsKey(f[0]);
            assertThat(f[3]).as(line).isIn("allow", "deny");
            rows.add(new Row(f[0], f[1], f[2], f[3].equals("allow"), f[4]));
        }
        return rows;
    }

    /** What the table expects for one question: the last row that covers it, or null (deny by default). */
    private static Row expected(List<Row> rows, String who, Action action, String resource) {
        Row found = null;
        for (Row r : rows) {
            if (r.who().equals(who) && (r.action().equals("*") || r.action().equals(action.wireName()))
                    && (r.resource().equals("*") || r.resource().equals(resource))) {
                found = r;
            }
        }
        return found;
    }

    @Test
    void shouldDecideEveryActionOnEveryResourceForEverySubjectAsTheTableSays() {
        List<Row> rows = rows();
        List<String> mismatches = new ArrayList<>();
        int allowed = 0;
        int explicitDenies = 0;
        int defaultDenies = 0;
        for (Map.Entry<String, Subject> s : SUBJECTS.entrySet()) {
            for (Action action : Action.values()) {
                for (String resource : RESOURCES) {
                    Row row = expected(rows, s.getKey(), action, resource);
                    Decision d = POLICY.decide(s.getValue(), action, resource);
                    boolean wantAllowed = row != null && row.allowed();
                    String wantRule = row == null ? Decision.DEFAULT_DENY : row.ruleId();
                    if (d.allowed() != wantAllowed || !d.ruleId().equals(wantRule)) {
                        mismatches.add(s.getKey() + " " + action.wireName() + " " + resource + ": expected "
                                + (wantAllowed ? "allow " : "deny ") + wantRule + ", got "
                                + (d.allowed() ? "allow " : "deny ") + d.ruleId());
                    }
                    assertThat(d.policyVersion()).isEqualTo(POLICY.version());
                    if (d.allowed()) {
                        allowed++;
                    } else if (d.byDefault()) {
                        defaultDenies++;
                    } else {
                        explicitDenies++;
                    }
                }
            }
        }
        assertThat(mismatches).isEmpty();
        // the table is not trivially satisfied: all three kinds of outcome occur often
        int root = Action.values().length * RESOURCES.size();
        assertThat(allowed).as("allowed").isEqualTo(root + 3 + 4 + 10 + 6 + 6 + 3 + 2);
        assertThat(explicitDenies).as("explicit denies").isEqualTo(RESOURCES.size() + 1 + 1 + RESOURCES.size());
        assertThat(defaultDenies).as("default denies").isGreaterThan(900);
    }

    @Test
    void shouldDecideTheSameFromTheSubjectTheRolesAndTheExplanation() {
        for (Subject s : SUBJECTS.values()) {
            for (Action action : Action.values()) {
                for (String resource : RESOURCES) {
                    Decision bySubject = POLICY.decide(s, action, resource);
                    assertThat(POLICY.decide(POLICY.rolesOf(s), action, resource)).isEqualTo(bySubject);
                    assertThat(POLICY.explain(s, action, resource).decision()).isEqualTo(bySubject);
                }
            }
        }
    }

    @Test
    void shouldResolveRolesFromEachSource() {
        assertThat(POLICY.rolesOf(SUBJECTS.get("dave"))).containsExactly("orders-producer");
        assertThat(POLICY.rolesOf(SUBJECTS.get("frank"))).isEmpty();
        assertThat(POLICY.rolesOf(SUBJECTS.get("carol"))).containsExactly("dlq-operator");
        assertThat(POLICY.rolesOf(SUBJECTS.get("carol-token"))).containsExactly("dlq-operator");
        assertThat(POLICY.rolesOf(SUBJECTS.get("token-writer"))).containsExactly("orders-producer");
        assertThat(POLICY.rolesOf(SUBJECTS.get("token-auditor"))).isEmpty();
        assertThat(POLICY.rolesOf(SUBJECTS.get("token-admin"))).isEmpty();
        assertThat(POLICY.rolesOf(SUBJECTS.get("token-unknown"))).isEmpty();
        assertThat(POLICY.rolesOf(SUBJECTS.get("billing-cert"))).containsExactly("orders-consumer", "no-purge");
        assertThat(POLICY.rolesOf(SUBJECTS.get("billing-password"))).isEmpty();
    }

    @Test
    void shouldIgnoreRoleNamesThePolicyDoesNotDefineOnTheFastPath() {
        assertThat(POLICY.decide(java.util.Set.of("ghost", "orders-producer"), Action.PUBLISH, "orders.eu").ruleId())
                .isEqualTo("orders-producer/allow[0]");
        assertThat(POLICY.decide(java.util.Set.of("ghost"), Action.PUBLISH, "orders.eu").ruleId())
                .isEqualTo(Decision.DEFAULT_DENY);
    }
}
