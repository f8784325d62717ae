package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The version follows the policy's meaning, not its layout. */
class PolicyVersionTest {

    private static final String BASE = """
            roles:
              producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
              consumer:
                allow:
                  - actions: [consume, create]
                    resources: ["orders.*", "billing"]
                deny:
                  - actions: [consume]
                    resources: [orders.audit]
            principals:
              alice: [producer]
              bob: [consumer, producer]
            tokenRoles:
              writers: [producer]
            certificates:
              svc: [consumer]
            """;

    private static String version(String yaml) {
        return Policy.parse(yaml, "v.yaml").version();
    }

    /** BASE with one edit, which must apply. */
    private static String edit(String from, String to) {
        assertThat(BASE).contains(from);
        return BASE.replace(from, to);
    }

    @Test
    void shouldLookLikeAShortSha256() {
        assertThat(version(BASE)).matches("sha256:[0-9a-f]{16}");
        assertThat(Policy.defaults().version()).matches("sha256:[0-9a-f]{16}").isNotEqualTo(version(BASE));
    }

    @Test
    void shouldKeepTheVersionWhenOnlyCommentsWhitespaceOrOrderChange() {
        String same = """
                # the same policy, written differently
                certificates: {svc: [consumer]}
                tokenRoles:
                    writers: [ producer ]     # IdP group
                principals:
                    bob: [producer, consumer, consumer]
                    alice: ["producer"]

                roles:
                    consumer:
                        deny:
                            - resources: ['orders.audit']
                              actions: [CONSUME]
                        allow:
                            - actions: [create, consume]
                              resources: [billing, "orders.*", billing]
                    producer:
                        allow: [{actions: [publish], resources: ["orders.*"]}]
                """;
        assertThat(version(same)).isEqualTo(version(BASE));
    }

    @Test
    void shouldTreatTheStarAsEveryAction() {
        String star = "roles:\n  a:\n    allow:\n      - actions: [\"*\"]\n        resources: [\"*\"]\n";
        String listed = "roles:\n  a:\n    allow:\n      - actions: [admin, read-metrics, read-audit, manage-users, purge, delete, "
                + "create, consume, publish]\n        resources: [\"*\"]\n";
        assertThat(version(star)).isEqualTo(version(listed));
    }

    @Test
    void shouldChangeTheVersionWithEveryChangeOfMeaning() {
        String base = version(BASE);
        assertThat(version(edit("resources: [\"orders.*\"]\n  consumer", "resources: [\"orders.eu.*\"]\n  consumer")))
                .as("a pattern").isNotEqualTo(base);
        assertThat(version(edit("[publish]", "[publish, purge]"))).as("an action").isNotEqualTo(base);
        assertThat(version(edit("alice: [producer]", "alice: [consumer]"))).as("a principal binding")
                .isNotEqualTo(base);
        assertThat(version(edit("writers: [producer]", "writers: [consumer]"))).as("a token binding")
                .isNotEqualTo(base);
        assertThat(version(edit("svc: [consumer]", "svc2: [consumer]"))).as("a certificate binding")
                .isNotEqualTo(base);
        assertThat(version(edit("    deny:\n      - actions: [consume]\n        resources: [orders.audit]\n",
                ""))).as("a deny removed").isNotEqualTo(base);
        assertThat(version(edit("  alice: [producer]\n", "  alice: [producer]\n  zed: [producer]\n")))
                .as("a principal added").isNotEqualTo(base);
    }

    @Test
    void shouldChangeTheVersionWhenGrantsOfARoleAreReorderedBecauseTheirRuleIdsChange() {
        String two = """
                roles:
                  r:
                    allow:
                      - actions: [publish]
                        resources: [a]
                      - actions: [consume]
                        resources: [b]
                """;
        String swapped = """
                roles:
                  r:
                    allow:
                      - actions: [consume]
                        resources: [b]
                      - actions: [publish]
                        resources: [a]
                """;
        assertThat(version(two)).isNotEqualTo(version(swapped));
        assertThat(Policy.parse(swapped, "s.yaml").decide(java.util.Set.of("r"), Action.PUBLISH, "a").ruleId())
                .isEqualTo("r/allow[1]");
    }

    @Test
    void shouldStampEveryDecisionWithTheVersion() {
        Policy p = Policy.parse(BASE, "v.yaml");
        assertThat(p.decide(java.util.Set.of("producer"), Action.PUBLISH, "orders.eu").policyVersion())
                .isEqualTo(p.version());
        assertThat(p.decide(java.util.Set.of(), Action.PUBLISH, "orders.eu").policyVersion()).isEqualTo(p.version());
    }
}
