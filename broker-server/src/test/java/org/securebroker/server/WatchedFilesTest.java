package org.securebroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.audit.AuditSettings;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.audit.ChangeNote;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.ConfigLoader;
import org.securebroker.server.integrity.ProducerKeys;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyHolder;

/**
 * Changes of the users file and the producer-keys file reach the audit log with who made them:
 * while the broker runs (even when a login reloads the users first), and at the next start when
 * they were made while it was stopped.
 */
class WatchedFilesTest {

    @TempDir
    Path dir;

    private Path data;
    private final SecureRandom random = new SecureRandom();

    @BeforeEach
    void init() throws Exception {
        data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, 4096, random, Clock.systemUTC());
    }

    private BrokerConfig config() {
        BrokerConfig c = ConfigLoader.defaults(data);
        return c.withListener(c.listener().withAddress("127.0.0.1", 0))
                .withAdmin(new BrokerConfig.Admin(false, "127.0.0.1", 0, false));
    }

    private User dave() {
        return User.of("dave", PasswordSecrets.derive("dave's long password".toCharArray(), Argon2id.OWASP_MINIMUM, 4096,
                random), List.of("ops"), Instant.now());
    }

    /** Dave with hashes made as the configuration asks, so that a login of his changes nothing. */
    private User daveAsConfigured(BrokerConfig config) {
        return User.of("dave", PasswordSecrets.derive("dave's long password".toCharArray(),
                Argon2id.of(config.auth().passwordHashing()), config.auth().scramIterations(), random),
                List.of("ops"), Instant.now());
    }

    private List<AuditEntry> entries(String type) throws Exception {
        try (Stream<AuditEntry> all = AuditReader.entries(config().audit().dir(), AuditReader.Filter.ALL)) {
            return all.filter(e -> e.type().equals(type)).toList();
        }
    }

    @Test
    void shouldAuditUsersAndKeysChangedWhileTheBrokerWasStoppedWithTheirActor() throws Exception {
        BrokerConfig config = config();
        Broker.start(config).close();

        UserStore.load(config.auth().usersFile()).update(all -> {
            all.put("dave", dave());
            all.remove("admin");
            return all;
        }, new UserStore.Actor("os:alice", "broker user add dave", Instant.now()));
        Path keysFile = config.integrity().producerKeys();
        SigningKey producer = SigningKey.generate(random);
        ProducerKeys.NONE.with("orders-app", producer.publicKey()).save(keysFile, (before, after) ->
                new ChangeNote("os:bob", "broker keys producer add orders-app", Instant.now(), ChangeNote.digest(before),
                        ChangeNote.digest(after)).writeFor(keysFile));

        try (Broker broker = Broker.start(config)) {
            List<AuditEntry> users = entries("users.changed-offline");
            assertThat(users).extracting(AuditEntry::resource).containsExactly("admin", "dave");
            assertThat(users).allSatisfy(e -> assertThat(e.principal()).isEqualTo("os:alice"));
            assertThat(users).extracting(e -> e.details().get("change")).containsExactly("removed", "added");
            assertThat(users.get(1).details().get("command")).isEqualTo("broker user add dave");
            assertThat(users.toString()).doesNotContain("argon2").doesNotContain(dave().passwordHash());
            List<AuditEntry> keys = entries("keys.changed-offline");
            assertThat(keys).singleElement().satisfies(e -> {
                assertThat(e.resource()).isEqualTo("orders-app");
                assertThat(e.principal()).isEqualTo("os:bob");
                assertThat(e.details().get("added")).isEqualTo(producer.publicKey().id());
            });
        }

        // an edit that no note describes is audited too, without an actor
        String text = Files.readString(config.auth().usersFile());
        assertThat(text).contains("\"ops\"");
        Files.writeString(config.auth().usersFile(), text.replace("\"ops\"", "\"admin\""));
        try (Broker broker = Broker.start(config)) {
            List<AuditEntry> users = entries("users.changed-offline");
            assertThat(users).hasSize(3);
            AuditEntry edited = users.get(2);
            assertThat(edited.resource()).isEqualTo("dave");
            assertThat(edited.principal()).isNull();
            assertThat(edited.reason()).contains("actor is unknown");
        }
        try (Broker broker = Broker.start(config)) {
            assertThat(entries("users.changed-offline")).as("nothing changed since").hasSize(3);
        }
    }

    @Test
    void shouldAuditAChangeWithItsActorEvenWhenALoginPicksItUpFirst() throws Exception {
        BrokerConfig config = config();
        try (Broker broker = Broker.start(config)) {
            User dave = daveAsConfigured(config);
            UserStore.load(config.auth().usersFile()).update(all -> {
                all.put("dave", dave);
                return all;
            }, new UserStore.Actor("os:alice", "broker user add dave", Instant.now()));
            // a login reloads the users file before the broker's housekeeping looks at it
            assertThat(broker.authenticator().authenticate("dave", "dave's long password".toCharArray()).join()
                    .succeeded()).isTrue();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !entries("admin.user.added").isEmpty());
            assertThat(entries("admin.user.added")).singleElement().satisfies(e -> {
                assertThat(e.resource()).isEqualTo("dave");
                assertThat(e.principal()).isEqualTo("os:alice");
                assertThat(e.details().get("command")).isEqualTo("broker user add dave");
            });
        }
        try (Broker broker = Broker.start(config)) {
            assertThat(entries("users.changed-offline")).as("the running broker recorded the change").isEmpty();
        }
    }

    @Test
    void shouldAuditChangesAgainAtTheNextStartWhenTheStartThatFoundThemFailed() throws Exception {
        BrokerConfig config = config();
        Broker.start(config).close();
        UserStore.load(config.auth().usersFile()).update(all -> {
            all.put("dave", dave());
            return all;
        }, new UserStore.Actor("os:alice", "broker user add dave", Instant.now()));

        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            BrokerConfig adminOnATakenPort = config.withAdmin(new BrokerConfig.Admin(true, "127.0.0.1",
                    taken.getLocalPort(), false));
            assertThatThrownBy(() -> Broker.start(adminOnATakenPort)).hasMessageContaining("cannot listen");
        }

        try (Broker broker = Broker.start(config)) {
            assertThat(entries("users.changed-offline")).singleElement().satisfies(e -> {
                assertThat(e.resource()).isEqualTo("dave");
                assertThat(e.principal()).isEqualTo("os:alice");
            });
        }
    }

    @Test
    void shouldKeepTheOldRecordWhenTheChangesCannotBeAudited() throws Exception {
        BrokerConfig config = config();
        Broker.start(config).close();
        String recorded = WatchedFiles.load(data).users().digest();
        UserStore users = UserStore.load(config.auth().usersFile());
        users.update(all -> {
            all.put("dave", dave());
            return all;
        }, new UserStore.Actor("os:alice", "broker user add dave", Instant.now()));

        AuditLog closed = AuditLog.open(AuditSettings.of(dir.resolve("other-audit"), SigningKey.generate(random)),
                Clock.systemUTC());
        closed.close();
        AccessControl access = AccessControl.enforcing(PolicyHolder.fixed(Policy.defaults()), users, closed,
                Duration.ZERO, Clock.systemUTC());
        WatchedFiles watched = WatchedFiles.load(data);
        WatchedFiles.AtStart found = watched.checkAtStart(users.file(), users.digest(), users.all(),
                config.integrity().producerKeys(), ProducerKeys.load(config.integrity().producerKeys()),
                new BrokerAudit(access));
        assertThat(found.users().digest()).isEqualTo(users.digest()).isNotEqualTo(recorded);

        assertThat(found.audit()).failsWithin(Duration.ofSeconds(10));
        assertThat(WatchedFiles.load(data).users().digest()).as("the record on disk").isEqualTo(recorded);
        // noticed in memory, so that the running broker does not audit it again as a change made while it runs;
        // the next start, reading the record on disk, lists it again
        assertThat(watched.users().digest()).as("what the running broker compares with").isEqualTo(users.digest());
    }

    @Test
    void shouldNotNameTheLastActorAsPrincipalWhenTheFileChangedInSeveralSteps() throws Exception {
        BrokerConfig config = config();
        Broker.start(config).close();
        UserStore users = UserStore.load(config.auth().usersFile());
        users.update(all -> {
            all.remove("admin");
            return all;
        }, new UserStore.Actor("os:bob", "broker user remove admin", Instant.now()));
        users.update(all -> {
            all.put("dave", dave());
            return all;
        }, new UserStore.Actor("os:alice", "broker user add dave", Instant.now()));

        try (Broker broker = Broker.start(config)) {
            List<AuditEntry> changed = entries("users.changed-offline");
            assertThat(changed).extracting(AuditEntry::resource).containsExactly("admin", "dave");
            assertThat(changed).allSatisfy(e -> {
                assertThat(e.principal()).as("who removed admin is not known").isNull();
                assertThat(e.reason()).contains("several steps", "os:alice");
                assertThat(e.details().get("lastActor")).isEqualTo("os:alice");
                assertThat(e.details().get("command")).isEqualTo("broker user add dave");
            });
        }
    }
}
