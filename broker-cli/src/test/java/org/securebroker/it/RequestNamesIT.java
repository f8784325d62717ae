package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.slf4j.LoggerFactory;

/**
 * Names a client supplies (queues, subscriptions, user names) through the real front end:
 * authorization comes before validation and both are audited, invalid names are refused with
 * the rule, answers quoting a name stay short and encodable, and the log shows client text
 * escaped, never a stack trace for a client's bad input.
 */
class RequestNamesIT {

    private static final String PASSWORD = "a long enough password";
    /** Near the longest string a frame field can hold (65535 UTF-8 bytes). */
    private static final String HUGE = "q".repeat(65_000);
    private static final List<String> INVALID = List.of("../x", "*", "a\u0000b", "q\u001b[31m", "\u2028x");

    @TempDir
    static Path dir;

    static TestBroker broker;
    static ListAppender<ILoggingEvent> log;

    @BeforeAll
    static void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"));
        UserStore users = UserStore.load(broker.broker().config().auth().usersFile());
        users.update(all -> {
            all.put("bob", User.of("bob", PasswordSecrets.derive(PASSWORD.toCharArray(), Argon2id.OWASP_MINIMUM, 4096,
                    new SecureRandom()), List.of(), Instant.now()));
            return all;
        });
        broker.broker().reload();
        log = new ListAppender<>();
        log.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(log);
        ((Logger) LoggerFactory.getLogger("org.securebroker")).setLevel(Level.INFO);
        try (RawConnection admin = broker.admin()) {
            admin.send(new CreateQueueFrame(3, "q", 0, "", 0));
            admin.expect(org.securebroker.protocol.frame.OkFrame.class);
        }
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
        broker.close();
    }

    @BeforeEach
    void clearLog() {
        synchronized (log) {
            log.list.clear();
        }
    }

    private static List<ILoggingEvent> logged() {
        synchronized (log) {
            return List.copyOf(log.list);
        }
    }

    private static List<AuditEntry> audit() throws Exception {
        try (Stream<AuditEntry> entries = AuditReader.entries(broker.broker().config().audit().dir(),
                AuditReader.Filter.ALL)) {
            return entries.filter(e -> !e.isCheckpoint()).toList();
        }
    }

    private static RawConnection bob() throws Exception {
        RawConnection c = broker.raw();
        c.login("bob", PASSWORD);
        return c;
    }

    /** The ERROR answering {@code request}; the session must go on after it. */
    private static ErrorFrame refused(RawConnection c, Frame request) throws Exception {
        c.send(request);
        ErrorFrame error = c.expect(ErrorFrame.class);
        assertThat(error.correlationId()).isEqualTo(request.correlationId());
        c.send(new PingFrame(99, 5));
        assertThat(c.expect(PongFrame.class).payload()).isEqualTo(5);
        return error;
    }

    private static List<Frame> namingQueue(String queue) {
        return List.of(new CreateQueueFrame(11, queue, 0, "", 0), new DeleteQueueFrame(12, queue),
                new PublishFrame(13, queue, List.of(PublishMessage.of(Bytes.utf8("x")))),
                new SubscribeFrame(14, queue, "s", 1));
    }

    @Test
    void shouldAuthorizeBeforeValidatingANameAndAuditTheDenial() throws Exception {
        long from = audit().size();
        try (RawConnection c = bob()) {
            for (String name : INVALID) {
                for (Frame f : namingQueue(name)) {
                    ErrorFrame error = refused(c, f);
                    assertThat(error.code()).as(f + ": " + error.message()).isEqualTo(ErrorCode.NOT_AUTHORIZED.code());
                }
            }
        }
        List<AuditEntry> denials = Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> audit().stream()
                .skip(from).filter(e -> "authz.deny".equals(e.type()) && "bob".equals(e.principal())).toList(),
                l -> l.size() >= INVALID.size() * 4);
        assertThat(denials).extracting(AuditEntry::action).contains("create", "delete", "publish", "consume");
    }

    @Test
    void shouldRefuseAnInvalidNameOfAnAuthorizedPrincipalAndAuditIt() throws Exception {
        long from = audit().size();
        try (RawConnection c = broker.admin()) {
            for (String name : INVALID) {
                for (Frame f : namingQueue(name)) {
                    ErrorFrame error = refused(c, f);
                    assertThat(error.code()).as(f + ": " + error.message()).isEqualTo(ErrorCode.INVALID_REQUEST.code());
                    assertThat(error.message()).contains("invalid queue name")
                            .contains("letters, digits, '.', '_' or '-'").doesNotContain("\u0000", "\u001b", "\u2028");
                }
            }
        }
        List<AuditEntry> invalid = Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> audit().stream()
                .skip(from).filter(e -> "request.invalid".equals(e.type())).toList(),
                l -> l.size() >= INVALID.size() * 4);
        assertThat(invalid).allSatisfy(e -> {
            assertThat(e.principal()).isEqualTo("admin");
            assertThat(e.decision()).isEqualTo("deny");
        });
        assertThat(invalid).extracting(AuditEntry::resource).contains("../x", "a\\u0000b", "q\\u001b[31m", "\\u2028x");
    }

    @Test
    void shouldAnswerANearlyFullSizeNameWithAShortErrorOnEveryCommand() throws Exception {
        try (RawConnection admin = broker.admin(); RawConnection bob = bob()) {
            for (RawConnection c : List.of(admin, bob)) {
                // bob may not consume from q: his SUBSCRIBE is refused before the subscription name is read
                for (Frame f : Stream.concat(namingQueue(HUGE).stream(), c == admin
                        ? Stream.of(new SubscribeFrame(15, "q", HUGE, 1)) : Stream.<Frame>empty()).toList()) {
                    ErrorFrame error = refused(c, f);
                    assertThat(error.code()).isIn(ErrorCode.INVALID_REQUEST.code(), ErrorCode.NOT_AUTHORIZED.code());
                    assertThat(error.message()).hasSizeLessThan(600).contains("(65000 characters)");
                }
            }
        }
        assertThat(logged()).allSatisfy(e -> {
            assertThat(e.getLevel()).isNotEqualTo(Level.ERROR);
            assertThat(e.getThrowableProxy()).as(e.getFormattedMessage()).isNull();
            assertThat(e.getFormattedMessage().length()).isLessThan(2_000);
        });
    }

    @Test
    void shouldRefuseASubscriptionNameOutsideTheQueueNameRule() throws Exception {
        try (RawConnection c = broker.admin()) {
            for (String name : List.of("s\u001b[2J", "s\u0000", "s\u0007", "s\u2028", "s\u202e", "../s", "a b")) {
                ErrorFrame error = refused(c, new SubscribeFrame(21, "q", name, 1));
                assertThat(error.code()).as(error.message()).isEqualTo(ErrorCode.INVALID_REQUEST.code());
                assertThat(error.message()).contains("invalid subscription name")
                        .contains("letters, digits, '.', '_' or '-'");
            }
        }
    }

    @Test
    void shouldEscapeClientTextInTheLog() throws Exception {
        String user = "mallory\u001b[31m\u0007\u2028\u202e";
        try (RawConnection c = broker.raw()) {
            c.hello();
            c.send(new AuthFrame(2, "PLAIN", Bytes.utf8("\0" + user + "\0wrong")));
            c.expect(ErrorFrame.class);
        }
        try (RawConnection c = broker.raw()) {
            c.hello();
            c.send(new AuthFrame(2, "X\u001b]0;owned\u0007" + "M".repeat(60_000), Bytes.EMPTY));
            ErrorFrame error = c.expect(ErrorFrame.class);
            assertThat(error.code()).isEqualTo(ErrorCode.UNSUPPORTED_MECHANISM.code());
            assertThat(error.message()).contains("X\\u001b]0;owned\\u0007").hasSizeLessThan(600);
        }
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> logged().stream()
                .anyMatch(e -> e.getFormattedMessage().contains("mallory\\u001b[31m\\u0007\\u2028\\u202e")));
        assertThat(logged()).allSatisfy(e -> assertThat(e.getFormattedMessage())
                .doesNotContain("\u001b", "\u0007", "\u2028", "\u202e", "\u0000"));
    }
}
