package org.securebroker.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.Layout;
import org.securebroker.server.config.PasswordHashing;

/** The user check: weak hashes, missing SCRAM credentials, disabled and stale users. */
class UserCheckTest {

    @TempDir
    Path tmp;
    Path data;
    BrokerConfig config;
    UserStore users;
    User admin;
    final UserCheck check = new UserCheck();

    @BeforeEach
    void init() throws Exception {
        data = CheckFixture.init(tmp);
        config = CheckFixture.config(data);
        users = UserStore.load(data.resolve(Layout.USERS_FILE));
        admin = users.find("admin").orElseThrow();
    }

    /** A user with the admin's password (hashing another would only slow the test down). */
    private void addUser(String name, boolean scram, boolean disabled, Instant created) {
        users.update(all -> {
            all.put(name, new User(name, admin.passwordHash(), scram ? admin.scram() : null, List.of(), disabled,
                    created));
            return all;
        });
    }

    @Test
    void shouldOnlySayThatStaleUsersCannotBeToldWithoutAnAuditLog() throws Exception {
        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.INFO);
            assertThat(f.id()).isEqualTo("users-no-audit-log");
        });
    }

    @Test
    void shouldRateAHashWeakerThanConfiguredMedium() throws Exception {
        BrokerConfig.Auth a = config.auth();
        BrokerConfig stronger = config.withAuth(new BrokerConfig.Auth(a.usersFile(), new PasswordHashing(64 * 1024, 3, 1),
                a.hashThreads(), a.hashQueue(), a.scramIterations(), a.jwt(), a.bruteForce()));

        assertThat(CheckFixture.withId(check.run(CheckFixture.context(stronger)), "user-weak-hash")).singleElement()
                .satisfies(f -> {
                    assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
                    assertThat(f.subject()).isEqualTo("user admin");
                    assertThat(f.finding()).contains("m=19456 KiB, t=2, p=1").contains("rehashed at the next PLAIN login");
                    assertThat(f.fix()).contains("broker user passwd admin");
                });
    }

    @Test
    void shouldRateMissingScramLowAndDisabledUsersInfo() throws Exception {
        addUser("bob", false, false, Instant.now());
        addUser("carol", true, true, Instant.now());

        List<Finding> findings = check.run(CheckFixture.context(config));

        assertThat(CheckFixture.withId(findings, "user-no-scram")).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.LOW);
            assertThat(f.subject()).isEqualTo("user bob");
        });
        assertThat(CheckFixture.withId(findings, "user-disabled")).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.INFO);
            assertThat(f.subject()).isEqualTo("user carol");
        });
    }

    @Test
    void shouldRateUsersWithoutALoginInTheWindowMedium() throws Exception {
        Instant now = Instant.now();
        addUser("alice", true, false, now.minus(Duration.ofDays(200)));
        addUser("bob", true, false, now.minus(Duration.ofDays(100)));
        addUser("carol", true, false, now.minus(Duration.ofDays(5)));
        addUser("dave", true, false, now.minus(Duration.ofDays(200)));
        addUser("erin", true, true, now.minus(Duration.ofDays(200)));
        CheckFixture.audit(config, now.minus(Duration.ofDays(150)), CheckFixture.login("dave"));
        CheckFixture.audit(config, now.minus(Duration.ofDays(10)), CheckFixture.login("alice"),
                CheckFixture.login("admin"));

        List<Finding> stale = CheckFixture.withId(check.run(CheckFixture.context(config, now)), "user-stale");

        assertThat(stale).extracting(Finding::subject).containsExactly("user bob", "user dave");
        assertThat(stale).allSatisfy(f -> {
            assertThat(f.severity()).isEqualTo(Severity.MEDIUM);
            assertThat(f.finding()).contains("has not logged in for 90 days");
        });
        assertThat(stale.get(0).finding()).contains("no successful login in the audit log");
        assertThat(stale.get(1).finding()).contains("last login " + now.minus(Duration.ofDays(150)).toString()
                .substring(0, 10));
        assertThat(stale.get(0).fix()).isEqualTo("if bob no longer needs access: broker user disable bob");
    }

    @Test
    void shouldRateAMissingUsersFileHigh() throws Exception {
        Files.delete(data.resolve(Layout.USERS_FILE));

        assertThat(check.run(CheckFixture.context(config))).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.HIGH);
            assertThat(f.id()).isEqualTo("users-file-invalid");
        });
    }
}
