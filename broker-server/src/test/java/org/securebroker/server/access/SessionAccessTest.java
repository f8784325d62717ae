package org.securebroker.server.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.server.request.RequestException;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.audit.AuditLogs;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.rbac.Action;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.store.io.DefaultFileLayer;
import org.securebroker.store.io.FaultyFileLayer;

/** One session's decisions: cached, re-made when the policy changes, audited, and refused when they cannot be recorded. */
class SessionAccessTest {

    private static final String POLICY = """
            roles:
              producer:
                allow:
                  - actions: [publish]
                    resources: ["orders.*"]
                deny:
                  - actions: [publish]
                    resources: [orders.audit]
            tokenRoles:
              idp-producers: [producer]
            """;

    @TempDir
    Path dir;

    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    private final AtomicReference<Identity> who = new AtomicReference<>(
            new Identity("svc", List.of("idp-producers"), "JWT", 0, false));
    private Path policyFile;
    private PolicyHolder policies;
    private UserStore users;

    @BeforeEach
    void setUp() throws Exception {
        policyFile = dir.resolve("policy.yaml");
        Files.writeString(policyFile, POLICY);
        policies = PolicyHolder.load(policyFile, Clock.systemUTC());
        users = UserStore.create(dir.resolve("users.json"), List.of());
    }

    @AfterEach
    void tearDown() {
        loop.shutdownNow();
    }

    private SessionAccess session(AccessControl control) {
        return control.session("192.0.2.7:5000", "c0ffee", who::get, loop);
    }

    private List<AuditEntry> entries(Path auditDir) throws Exception {
        try (Stream<AuditEntry> all = AuditReader.entries(auditDir, AuditReader.Filter.ALL)) {
            return all.filter(e -> !e.isCheckpoint()).toList();
        }
    }

    @Test
    void shouldWriteEveryDenialButOnlyTheFirstAllowAndThenACount() throws Exception {
        Path auditDir = dir.resolve("audit");
        AuditLog audit = AuditLogs.open(auditDir, DefaultFileLayer.INSTANCE);
        SessionAccess access = session(AccessControl.enforcing(policies, users, audit, Duration.ofHours(1),
                Clock.systemUTC()));
        for (int i = 0; i < 5; i++) {
            access.require(Action.PUBLISH, "orders.eu");
        }
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> access.require(Action.PUBLISH, "orders.audit"))
                    .isInstanceOfSatisfying(RequestException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NOT_AUTHORIZED);
                        assertThat(e.getMessage()).isEqualTo("'svc' is not authorized to publish to queue 'orders.audit' "
                                + "(an operator can see why with 'broker rbac explain')");
                    });
        }
        access.close();
        audit.close();

        List<AuditEntry> got = entries(auditDir);
        assertThat(got).extracting(e -> e.type() + " " + e.resource() + " " + e.rule() + " " + e.details().get("count"))
                .containsExactly(
                        "authz.allow orders.eu producer/allow[0] 1",
                        "authz.deny orders.audit producer/deny[0] null",
                        "authz.deny orders.audit producer/deny[0] null",
                        "authz.deny orders.audit producer/deny[0] null",
                        "authz.allow orders.eu producer/allow[0] 4");
        assertThat(got).allSatisfy(e -> {
            assertThat(e.principal()).isEqualTo("svc");
            assertThat(e.source()).isEqualTo("192.0.2.7:5000");
            assertThat(e.mechanism()).isEqualTo("JWT");
            assertThat(e.policy()).isEqualTo(policies.current().version());
            assertThat(e.details()).containsEntry("connection", "c0ffee");
        });
        assertThat(got.get(4).details()).containsKeys("firstTime", "lastTime");
    }

    @Test
    void shouldDecideAgainUnderANewPolicyAndAfterATokenBringsOtherRoles() throws Exception {
        AuditLog audit = AuditLogs.open(dir.resolve("audit"), DefaultFileLayer.INSTANCE);
        try (audit) {
            SessionAccess access = session(AccessControl.enforcing(policies, users, audit, Duration.ofHours(1),
                    Clock.systemUTC()));
            access.require(Action.PUBLISH, "orders.eu");
            Files.writeString(policyFile, POLICY.replace("orders.*", "billing.*"));
            assertThat(policies.reload()).isTrue();
            assertThat(access.stillAllowed(Action.PUBLISH, "orders.eu")).isFalse();
            access.require(Action.PUBLISH, "billing.eu");

            who.set(new Identity("svc", List.of("someone-else"), "JWT", 0, false));
            assertThatThrownBy(() -> access.require(Action.PUBLISH, "billing.eu")).isInstanceOf(RequestException.class);
            access.close();
        }
    }

    @Test
    void shouldRefuseEveryOperationOnceTheAuditLogCannotBeWritten() throws Exception {
        FaultyFileLayer faulty = new FaultyFileLayer();
        AuditLog audit = AuditLogs.open(dir.resolve("audit"), faulty);
        SessionAccess access = session(AccessControl.enforcing(policies, users, audit, Duration.ofHours(1),
                Clock.systemUTC()));
        faulty.diskFull.set(true);
        try {
            access.require(Action.PUBLISH, "orders.eu");
        } catch (RequestException e) {
            // the writer may have failed before the entry was even queued: refused at once
            assertThat(e.code()).isEqualTo(ErrorCode.AUDIT_UNAVAILABLE);
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !audit.writable());
        faulty.diskFull.set(false);

        assertThatThrownBy(() -> access.require(Action.PUBLISH, "orders.eu"))
                .isInstanceOfSatisfying(RequestException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.AUDIT_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("refuses operations it cannot record");
                });
        assertThatThrownBy(() -> access.requireRecorded(Action.PUBLISH, "orders.eu"))
                .isInstanceOf(RequestException.class);
        assertThat(access.stillAllowed(Action.PUBLISH, "orders.eu")).isFalse();
        try {
            audit.close();
        } catch (RuntimeException expected) {
            // the final checkpoint cannot be written either
        }
    }
}
