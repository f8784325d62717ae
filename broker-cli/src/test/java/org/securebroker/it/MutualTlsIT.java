package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CloseFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.ReloadFrame;
import org.securebroker.server.Bootstrap;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.config.BrokerConfig.ClientAuth;
import org.securebroker.server.config.BrokerConfig.PrincipalRule;
import org.securebroker.server.config.BrokerConfig.PrincipalSource;
import org.securebroker.server.config.TlsProvider;
import org.securebroker.server.session.SessionHandler;
import org.securebroker.server.tls.ClientCertificateVerifier;
import org.securebroker.server.tls.ServerTls;
import org.securebroker.server.tls.TestPki;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS through the real front end: only certificates of the client CA that are valid, meant
 * for client authentication and not revoked get in, each refusal is logged with its reason,
 * EXTERNAL yields the principal the mapping rules give, and disabling the user or revoking the
 * certificate ends the sessions it holds, each recorded in the audit log.
 */
class MutualTlsIT {

    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestBroker broker;
    private static Path usersFile;
    private static ListAppender<ILoggingEvent> refusals;
    private static final Map<Logger, Level> previousLevels = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir.resolve("pki"));
        Path data = dir.resolve("data");
        Bootstrap.init(data, Argon2id.OWASP_MINIMUM, new SecureRandom(), Clock.systemUTC());
        usersFile = TestBroker.config(data).auth().usersFile();
        // bob is in the users file before the broker starts, so his certificate logs in as a user
        UserStore.load(usersFile).update(users -> {
            users.put("bob", User.of("bob", PasswordSecrets.derive("a-long-password-for-bob".toCharArray(),
                    Argon2id.OWASP_MINIMUM, Scram.MIN_ITERATIONS, new SecureRandom()), List.of(), Instant.now()));
            return users;
        });
        broker = new TestBroker(data, c -> c.withTls(tls(c, ClientAuth.REQUIRED)));
        refusals = new ListAppender<>();
        refusals.start();
        for (Logger logger : refusalLoggers()) {
            previousLevels.put(logger, logger.getLevel());
            logger.setLevel(Level.INFO);
            logger.addAppender(refusals);
        }
    }

    @AfterAll
    static void stop() {
        for (Logger logger : refusalLoggers()) {
            logger.detachAppender(refusals);
            logger.setLevel(previousLevels.get(logger));
        }
        if (broker != null) {
            broker.close();
        }
    }

    /**
     * Where refusals are logged: the verifier judges the certificates clients present, the
     * session reports every failed handshake, including the refusal of a client that presented
     * none (which the TLS library decides before any certificate is verified).
     */
    private static List<Logger> refusalLoggers() {
        return List.of((Logger) LoggerFactory.getLogger(ClientCertificateVerifier.class),
                (Logger) LoggerFactory.getLogger(SessionHandler.class));
    }

    @BeforeEach
    void clearLog() {
        synchronized (refusals) {
            refusals.list.clear();
        }
    }

    /**
     * The test PKI's server certificate, client CA and CRL; a SPIFFE URI names the principal if
     * the certificate has one, else the common name.
     */
    private static BrokerConfig.Tls tls(BrokerConfig c, ClientAuth clientAuth) {
        return new BrokerConfig.Tls(pki.server().certFile(), pki.server().keyFile(), c.tls().provider(), clientAuth,
                pki.caFile(), pki.crlFile(), List.of(
                        new PrincipalRule(PrincipalSource.SAN_URI, Pattern.compile("spiffe://example\\.org/([a-z0-9-]+)")),
                        new PrincipalRule(PrincipalSource.SUBJECT, Pattern.compile("CN=([^,]+)(,.*)?"))));
    }

    /** Whether the broker's TLS is OpenSSL, as the configured provider (default AUTO) decides. */
    private static boolean usesOpenSsl() {
        TlsProvider provider = broker.broker().config().tls().provider();
        return provider == TlsProvider.OPENSSL || (provider == TlsProvider.AUTO && OpenSsl.isAvailable());
    }

    /** A client that trusts the test CA and presents {@code credential} (none if null). */
    private static SslContext client(TestPki.Credential credential, String protocol) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(pki.caFile().toFile()).protocols(protocol);
        if (credential != null) {
            builder.keyManager(TestPki.keyManager(credential));
        }
        return builder.build();
    }

    private static RawConnection connect(TestBroker to, TestPki.Credential credential) throws Exception {
        return RawConnection.tls(to.port(), client(credential, "TLSv1.3"));
    }

    /** HELLO, then AUTH EXTERNAL with {@code expected} as the initial response; returns the answer. */
    private static Object external(RawConnection c, String expected) throws Exception {
        HelloOkFrame hello = c.hello();
        assertThat(hello.authMechanisms()).contains("EXTERNAL");
        c.send(new AuthFrame(2, "EXTERNAL", Bytes.utf8(expected)));
        return c.next();
    }

    /**
     * Connects with {@code credential} and says HELLO; returns how the broker refused, or fails if
     * it answered HELLO_OK. With TLS 1.3 the client's side of the handshake ends before the server
     * has judged the certificate, so the refusal may come as an error or a close after it.
     */
    private static String refusal(TestBroker to, TestPki.Credential credential, String protocol) throws Exception {
        RawConnection c;
        try {
            c = RawConnection.tls(to.port(), client(credential, protocol));
        } catch (SSLException handshakeFailed) {
            return "handshake failed: " + handshakeFailed;
        }
        try (c) {
            c.send(new HelloFrame(1, 1, 1, ProtocolLimits.DEFAULT_MAX_FRAME_SIZE, "test"));
            Object answer = c.next();
            assertThat(answer).as("the broker's answer to HELLO").isNotInstanceOf(HelloOkFrame.class);
            return "after the handshake: " + answer;
        }
    }

    private static List<String> loggedRefusals() {
        synchronized (refusals) {
            return refusals.list.stream().filter(e -> e.getLevel() == Level.INFO)
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private static void awaitRefusalLogged(String what, String... parts) {
        Awaitility.await(what).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(loggedRefusals()).anySatisfy(m -> assertThat(m).contains(parts)));
    }

    @Test
    void shouldOfferExternalFirstAndMapTheGoodCertificateToItsCommonName() throws Exception {
        try (RawConnection c = connect(broker, pki.good())) {
            HelloOkFrame hello = c.hello();
            assertThat(hello.authMechanisms()).first().isEqualTo("EXTERNAL");
            c.send(new AuthFrame(2, "EXTERNAL", Bytes.EMPTY));
            assertThat(c.expect(AuthOkFrame.class).principal()).isEqualTo("alice");
            c.send(new PingFrame(3, 7));
            assertThat(c.expect(PongFrame.class).payload()).isEqualTo(7);
        }
    }

    @Test
    void shouldRefuseEveryUnacceptableCertificateWithItsReasonInTheLog() throws Exception {
        record Case(TestPki.Credential credential, String... logged) {
        }
        Map<String, Case> cases = new LinkedHashMap<>();
        cases.put("untrusted CA", new Case(pki.untrusted(), "CN=mallory",
                "not issued by the configured client CA (issuer CN=Untrusted CA"));
        cases.put("impostor CA", new Case(pki.impostor(), "CN=alice", "not issued by the configured client CA",
                "the name matches but the signature does not verify"));
        cases.put("expired", new Case(pki.expired(), "CN=expired", "expired on"));
        cases.put("not yet valid", new Case(pki.notYetValid(), "CN=early", "not yet valid"));
        cases.put("no EKU", new Case(pki.noEku(), "CN=no-eku", "lacks the clientAuth extended key usage"));
        cases.put("serverAuth only", new Case(pki.serverAuthOnly(), "CN=server-auth-only",
                "lacks the clientAuth extended key usage (it allows only serverAuth)"));
        cases.put("revoked", new Case(pki.revoked(), "CN=revoked", "revoked on"));
        // the TLS library refuses this one itself, in its own words
        cases.put("no certificate", new Case(null, "TLS handshake failed", usesOpenSsl()
                ? "PEER_DID_NOT_RETURN_A_CERTIFICATE" : "Empty client certificate chain"));

        for (String protocol : PROTOCOLS) {
            for (Map.Entry<String, Case> c : cases.entrySet()) {
                String what = c.getKey() + " over " + protocol;
                clearLog();
                String how = refusal(broker, c.getValue().credential(), protocol);
                awaitRefusalLogged(what + " (" + how + ")", c.getValue().logged());
                assertThat(loggedRefusals()).as("%s: the log names the client's address", what)
                        .anySatisfy(m -> assertThat(m).contains(c.getValue().logged()[0]).contains("127.0.0.1:"));
                System.out.printf("MutualTlsIT: %s: %s%n", what, how);
            }
        }
        try (RawConnection c = connect(broker, pki.good())) {
            assertThat(external(c, "")).as("the good certificate after all the refusals")
                    .isInstanceOf(AuthOkFrame.class);
        }
    }

    @Test
    void shouldMapTheSpiffeUriBeforeTheCommonNameAndRefuseAnotherPrincipal() throws Exception {
        try (RawConnection c = connect(broker, pki.withSans())) {
            AuthOkFrame ok = (AuthOkFrame) external(c, "");
            assertThat(ok.principal()).as("the SAN URI rule comes before the CN rule (CN=svc-orders)")
                    .isEqualTo("orders");
        }
        try (RawConnection c = connect(broker, pki.withSans())) {
            assertThat(((AuthOkFrame) external(c, "orders")).principal()).isEqualTo("orders");
        }
        try (RawConnection c = connect(broker, pki.withSans())) {
            Object answer = external(c, "someone-else");
            assertThat(answer).isInstanceOf(ErrorFrame.class);
            assertThat(((ErrorFrame) answer).code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
            assertThat(((ErrorFrame) answer).correlationId()).isEqualTo(2);
            assertThat(c.next()).isSameAs(RawConnection.CLOSED);
        }
    }

    @Test
    void shouldOfferExternalOnlyToClientsWithACertificateWhenCertificatesAreOptional() throws Exception {
        try (TestBroker optional = new TestBroker(dir.resolve("optional-data"), c -> c.withTls(tls(c, ClientAuth.OPTIONAL)))) {
            try (RawConnection c = connect(optional, null)) {
                HelloOkFrame hello = c.hello();
                assertThat(hello.authMechanisms()).doesNotContain("EXTERNAL").contains("PLAIN");
                c.send(new AuthFrame(2, "PLAIN", Bytes.utf8("\0admin\0" + optional.adminPassword())));
                assertThat(c.expect(AuthOkFrame.class).principal()).isEqualTo("admin");
            }
            try (RawConnection c = connect(optional, null)) {
                c.hello();
                c.send(new AuthFrame(2, "EXTERNAL", Bytes.EMPTY));
                ErrorFrame refused = c.expect(ErrorFrame.class);
                assertThat(refused.code()).isEqualTo(ErrorCode.UNSUPPORTED_MECHANISM.code());
            }
            try (RawConnection c = connect(optional, pki.good())) {
                assertThat(((AuthOkFrame) external(c, "")).principal()).isEqualTo("alice");
            }
            refusal(optional, pki.expired(), "TLSv1.3");
            awaitRefusalLogged("an expired certificate is still refused when certificates are optional",
                    "CN=expired", "expired on");
        }
    }

    @Test
    void shouldCloseTheExternalSessionOfAUserWhoIsDisabled() throws Exception {
        TestPki.Credential bob = pki.client("bob", "CN=bob");
        try (RawConnection c = connect(broker, bob)) {
            assertThat(((AuthOkFrame) external(c, "")).principal()).isEqualTo("bob");

            long disabledAt = System.nanoTime();
            UserStore.load(usersFile).update(users -> {
                users.put("bob", users.get("bob").withDisabled(true));
                return users;
            });
            ErrorFrame revoked = c.expect(ErrorFrame.class);
            long millis = (System.nanoTime() - disabledAt) / 1_000_000;
            assertThat(revoked.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
            assertThat(revoked.correlationId()).isZero();
            assertThat(c.next()).isSameAs(RawConnection.CLOSED);
            assertThat(millis).as("the broker reloads the users file every second").isLessThan(5_000);
            System.out.printf("MutualTlsIT: the EXTERNAL session of a disabled user ended %d ms after the users "
                    + "file changed%n", millis);
        }
        try (RawConnection c = connect(broker, bob)) {
            Object answer = external(c, "");
            assertThat(answer).as("a disabled user's certificate no longer logs in").isInstanceOf(ErrorFrame.class);
            assertThat(((ErrorFrame) answer).code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
        }
    }

    @Test
    void shouldCloseASessionWhoseCertificateIsRevokedAndAuditTheRevocation() throws Exception {
        TestPki.Credential carol = pki.client("carol", "CN=carol");
        TestPki.Credential admin = pki.client("admin", "CN=admin");
        String serial = carol.certificate().getSerialNumber().toString(16);
        String issuer = pki.caCertificate().getSubjectX500Principal().getName();
        try (RawConnection session = connect(broker, carol); RawConnection operator = connect(broker, admin)) {
            assertThat(((AuthOkFrame) external(session, "")).principal()).isEqualTo("carol");
            assertThat(((AuthOkFrame) external(operator, "")).principal()).isEqualTo("admin");

            pki.writeCrl(pki.crlFile(), pki.now(), pki.now().plus(Duration.ofDays(7)), pki.revoked().certificate(),
                    carol.certificate());
            long reloadAt = System.nanoTime();
            operator.send(new ReloadFrame(3));
            operator.expect(OkFrame.class);
            System.out.printf("MutualTlsIT: RELOAD with a new CRL answered in %d ms%n",
                    (System.nanoTime() - reloadAt) / 1_000_000);

            CloseFrame closed = session.expect(CloseFrame.class);
            assertThat(closed.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
            assertThat(closed.reason()).contains("revoked");
            assertThat(session.next()).isSameAs(RawConnection.CLOSED);
            operator.send(new PingFrame(4, 42));
            assertThat(operator.expect(PongFrame.class).payload()).as("a session whose certificate stands")
                    .isEqualTo(42);

            String how = refusal(broker, carol, "TLSv1.3");
            awaitRefusalLogged("carol's new connection after the revocation (" + how + ")", "CN=carol", "revoked on");
        }
        AuditEntry ended = awaitAudit(e -> "auth.revoked".equals(e.type()));
        assertThat(ended.principal()).isEqualTo("carol");
        assertThat(ended.mechanism()).isEqualTo("EXTERNAL");
        assertThat(ended.reason()).isEqualTo("certificate revoked");
        assertThat(ended.details()).containsEntry("serial", serial).containsEntry("issuer", issuer);
        AuditEntry refused = awaitAudit(e -> "auth.failure".equals(e.type()) && e.reason() != null
                && e.reason().startsWith("certificate revoked"));
        assertThat(refused.mechanism()).isEqualTo("TLS");
        assertThat(refused.reason()).isEqualTo("certificate revoked (serial " + serial + ", issuer " + issuer + ")");
    }

    private static AuditEntry awaitAudit(Predicate<AuditEntry> which) {
        return Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            try (Stream<AuditEntry> entries = AuditReader.entries(broker.broker().config().audit().dir(),
                    AuditReader.Filter.ALL)) {
                return entries.filter(which).findFirst();
            }
        }, java.util.Optional::isPresent).orElseThrow();
    }
}
