package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.securebroker.server.identity.Identity;

/** An explanation names the deciding rule, every role with its origin and every covering grant. */
class PolicyExplainTest {

    private static final Policy POLICY = Policy.parse("""
            roles:
              producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
              consumer:
                allow:
                  - actions: [consume]
                    resources: ["orders.*"]
                  - actions: [consume, create]
                    resources: ["*.audit"]
                deny:
                  - actions: [consume]
                    resources: [orders.audit]
              auditor:
                allow:
                  - actions: [read-audit]
                    resources: [audit]
            principals:
              svc: [producer]
            tokenRoles:
              idp-readers: [consumer, auditor]
            certificates:
              svc: [consumer]
            """, "explain.yaml");

    @Test
    void shouldNameTheDenyThatBeatTheAllowsAndListThemAll() {
        Explanation e = POLICY.explain(new Subject("svc", "EXTERNAL", List.of(), false), Action.CONSUME, "orders.audit");

        assertThat(e.decision()).isEqualTo(new Decision(false, "consumer/deny[0]", "deny consume on orders.audit",
                POLICY.version()));
        assertThat(e.rule()).hasValueSatisfying(g -> {
            assertThat(g.ruleId()).isEqualTo("consumer/deny[0]");
            assertThat(g.line()).isEqualTo(13);
        });
        assertThat(e.roleOrigins()).containsExactly(
                new RoleOrigin("consumer", RoleOrigin.Source.CERTIFICATES, "svc", true),
                new RoleOrigin("producer", RoleOrigin.Source.PRINCIPALS, "svc", true));
        assertThat(e.roles()).containsExactlyInAnyOrder("consumer", "producer");
        assertThat(e.allows()).extracting(Grant::ruleId).containsExactly("consumer/allow[0]", "consumer/allow[1]");
        assertThat(e.allows()).extracting(Grant::text).containsExactly("allow consume on orders.*",
                "allow consume, create on *.audit");
        assertThat(e.denies()).extracting(Grant::ruleId).containsExactly("consumer/deny[0]");
    }

    @Test
    void shouldTranslateTokenClaimsThroughTokenRolesOnly() {
        Explanation e = POLICY.explain(new Subject("t", "JWT", List.of("idp-readers", "producer", "idp-unknown"), false),
                Action.PUBLISH, "orders.eu");

        // 'producer' is a role of the policy, but a claim value grants it only through tokenRoles
        assertThat(e.decision().allowed()).isFalse();
        assertThat(e.decision().ruleId()).isEqualTo(Decision.DEFAULT_DENY);
        assertThat(e.roleOrigins()).containsExactly(
                new RoleOrigin("consumer", RoleOrigin.Source.TOKEN_ROLES, "idp-readers", true),
                new RoleOrigin("auditor", RoleOrigin.Source.TOKEN_ROLES, "idp-readers", true),
                new RoleOrigin("producer", RoleOrigin.Source.TOKEN_CLAIM, "producer", false),
                new RoleOrigin("idp-unknown", RoleOrigin.Source.TOKEN_CLAIM, "idp-unknown", false));
        assertThat(e.roleOrigins().get(0).describe()).isEqualTo("consumer from tokenRoles[idp-readers]");
        assertThat(e.roleOrigins().get(2).describe())
                .isEqualTo("producer from token claim (producer): not mapped by tokenRoles, grants nothing");
        assertThat(e.roles()).containsExactlyInAnyOrder("consumer", "auditor");
    }

    @Test
    void shouldNotMakeATokenClaimingAdminAnAdminUnlessTokenRolesSaysSo() {
        Subject claimsAdmin = new Subject("t", "JWT", List.of("admin"), false);
        assertThat(Policy.defaults().rolesOf(claimsAdmin)).isEmpty();
        assertThat(Policy.defaults().decide(claimsAdmin, Action.ADMIN, "broker").allowed()).isFalse();
        Policy mapped = Policy.parse("""
                roles:
                  admin:
                    allow:
                      - actions: ["*"]
                        resources: ["*"]
                tokenRoles:
                  idp-broker-admins: [admin]
                """, "mapped.yaml");
        assertThat(mapped.rolesOf(claimsAdmin)).isEmpty();
        assertThat(mapped.rolesOf(new Subject("t", "JWT", List.of("idp-broker-admins"), false))).containsExactly("admin");
        // a users-file role is a broker role as it is
        assertThat(mapped.rolesOf(new Subject("root", "PLAIN", List.of("admin"), true))).containsExactly("admin");
    }

    @Test
    void shouldExplainADefaultDenyWithoutARule() {
        Subject s = Subject.of(new Identity("dave", List.of("ghost", "auditor"), "PLAIN", 0, true));
        Explanation e = POLICY.explain(s, Action.PURGE, "orders.eu");

        assertThat(e.decision().byDefault()).isTrue();
        assertThat(e.decision().ruleId()).isEqualTo("default-deny");
        assertThat(e.rule()).isEmpty();
        assertThat(e.allows()).isEmpty();
        assertThat(e.denies()).isEmpty();
        assertThat(e.roleOrigins()).containsExactly(
                new RoleOrigin("ghost", RoleOrigin.Source.USERS_FILE, "dave", false),
                new RoleOrigin("auditor", RoleOrigin.Source.USERS_FILE, "dave", true));
        assertThat(e.roleOrigins().get(1).describe()).isEqualTo("auditor from users file (dave)");
    }

    @Test
    void shouldListEveryAllowGrantWithItsRuleIdRoleAndLine() {
        assertThat(POLICY.grants()).extracting(Grant::toString).containsExactly(
                "auditor/allow[0]: allow read-audit on audit",
                "consumer/allow[0]: allow consume on orders.*",
                "consumer/allow[1]: allow consume, create on *.audit",
                "producer/allow[0]: allow publish on orders.*");
        assertThat(POLICY.grants()).extracting(Grant::role).containsExactly("auditor", "consumer", "consumer",
                "producer");
        assertThat(POLICY.grants()).extracting(Grant::line).containsExactly(17, 8, 10, 4);
        assertThat(POLICY.denies()).extracting(Grant::ruleId).containsExactly("consumer/deny[0]");
        assertThat(POLICY.grant("consumer/allow[1]")).hasValueSatisfying(g -> {
            assertThat(g.actions()).containsExactly(Action.CONSUME, Action.CREATE);
            assertThat(g.resources()).extracting(ResourcePattern::text).containsExactly("*.audit");
            assertThat(g.covers(Action.CREATE, "x.audit")).isTrue();
            assertThat(g.covers(Action.PUBLISH, "x.audit")).isFalse();
        });
        assertThat(Grant.matches("orders.*", "orders.eu")).isTrue();
    }

    @Test
    void shouldAllowOnlyTheAdminRoleByDefault() {
        Policy defaults = Policy.defaults();
        assertThat(defaults.roleNames()).containsExactly("admin");
        assertThat(defaults.grants()).extracting(Grant::toString).containsExactly("admin/allow[0]: allow * on *");
        for (Action a : Action.values()) {
            assertThat(defaults.decide(java.util.Set.of("admin"), a, "anything").allowed()).isTrue();
            assertThat(defaults.decide(java.util.Set.of("user"), a, "anything").ruleId()).isEqualTo("default-deny");
        }
        assertThat(defaults.source()).isEqualTo("(built-in defaults)");
    }
}
