package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Who can: roles that allow it (their own denies counted), then the bindings whose roles allow it. */
class PolicyWhoCanTest {

    private static final Policy POLICY = Policy.parse("""
            roles:
              admin:
                allow:
                  - actions: ["*"]
                    resources: ["*"]
              producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
              careful-producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
                deny:
                  - actions: [publish]
                    resources: [orders.audit]
              quiet:
                deny:
                  - actions: ["*"]
                    resources: ["*"]
            principals:
              alice: [producer]
              mallory: [producer, quiet]
              carl: [careful-producer]
            tokenRoles:
              idp-writers: [producer]
              admin: []
            certificates:
              svc: [careful-producer]
              svc2: [quiet]
            """, "who.yaml");

    private static String row(Holder h) {
        return h.kind().label() + " " + h.name() + " " + h.roles() + " " + h.ruleId();
    }

    @Test
    void shouldListRolesThenEachKindOfBindingThatAllowsIt() {
        List<Holder> holders = POLICY.whoCan(Action.PUBLISH, "orders.eu",
                Map.of("zoe", List.of("producer"), "quinn", List.of("ghost"), "svc2", List.of("producer")));

        assertThat(holders).extracting(PolicyWhoCanTest::row).containsExactly(
                "role admin [admin] admin/allow[0]",
                "role careful-producer [careful-producer] careful-producer/allow[0]",
                "role producer [producer] producer/allow[0]",
                "principal alice [producer] producer/allow[0]",
                "principal carl [careful-producer] careful-producer/allow[0]",
                "user svc2 [producer] producer/allow[0]",
                "user zoe [producer] producer/allow[0]",
                "certificate svc [careful-producer] careful-producer/allow[0]",
                "token claim idp-writers [producer] producer/allow[0]");
    }

    @Test
    void shouldLeaveOutRolesAndBindingsWhoseDenyWins() {
        List<Holder> holders = POLICY.whoCan(Action.PUBLISH, "orders.audit", Map.of("mallory", List.of()));

        assertThat(holders).extracting(PolicyWhoCanTest::row).containsExactly(
                "role admin [admin] admin/allow[0]",
                "role producer [producer] producer/allow[0]",
                "principal alice [producer] producer/allow[0]",
                "token claim idp-writers [producer] producer/allow[0]");
    }

    @Test
    void shouldFindNobodyWhenNothingAllowsIt() {
        Policy policy = Policy.parse("roles:\n  r:\n    allow:\n      - actions: [consume]\n        resources: [a]\n",
                "w.yaml");
        assertThat(policy.whoCan(Action.PUBLISH, "a")).isEmpty();
        assertThat(policy.whoCan(Action.CONSUME, "a")).extracting(PolicyWhoCanTest::row)
                .containsExactly("role r [r] r/allow[0]");
    }
}
