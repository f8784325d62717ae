package org.securebroker.server.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Actions have stable wire names, and a wrong name is refused with the list of right ones. */
class RbacActionTest {

    @Test
    void shouldParseEveryWireNameBack() {
        assertThat(Action.wireNames()).containsExactly("publish", "consume", "create", "delete", "purge",
                "manage-users", "read-audit", "read-metrics", "admin");
        for (Action a : Action.values()) {
            assertThat(Action.parse(a.wireName())).isSameAs(a);
        }
        assertThat(Action.parse(" Manage-Users ")).isSameAs(Action.MANAGE_USERS);
    }

    @Test
    void shouldRefuseAnUnknownActionNamingTheAllowedOnes() {
        assertThatThrownBy(() -> Action.parse("manage_users")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown action 'manage_users'; allowed: publish, consume, create, delete, purge, "
                        + "manage-users, read-audit, read-metrics, admin");
        assertThatThrownBy(() -> Action.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldActOnTheAuditAndBrokerResourcesOnlyForReadAuditAndAdmin() {
        assertThat(Action.READ_AUDIT.fixedResource()).isEqualTo("audit");
        assertThat(Action.ADMIN.fixedResource()).isEqualTo("broker");
        assertThat(Action.PUBLISH.fixedResource()).isNull();
        assertThat(Action.MANAGE_USERS.fixedResource()).isNull();
    }
}
