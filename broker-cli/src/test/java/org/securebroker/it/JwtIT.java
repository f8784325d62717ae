package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.auth.jwt.JwtForge;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.limits.ConnectionSlots;
import org.securebroker.testing.MutableClock;
import org.slf4j.LoggerFactory;

/**
 * JWT bearer tokens through the real TLS front end: every known attack is refused with its
 * reason in the server log and the audit log, roles come from the token's claim values through
 * the policy's tokenRoles only, and a session lives only as long as its token unless the client
 * renews it on the same connection. The broker runs on a test clock: tokens are minted on it, and
 * token lifetimes pass when the test advances it.
 */
class JwtIT {

    private static final String ISSUER = "https://idp.example.org/";
    private static final String AUDIENCE = "securebroker";

    @TempDir
    static Path dir;

    private static final MutableClock clock = MutableClock.atSystemTime();
    private static TestBroker broker;
    private static KeyPair rsa;
    private static KeyPair ec;
    private static KeyPair ed;
    private static KeyPair attacker;
    private static byte[] hmac;
    private static ListAppender<ILoggingEvent> log;
    private static int nextAddress = 1;

    @BeforeAll
    static void start() throws Exception {
        rsa = JwtForge.rsa(2048);
        ec = JwtForge.ecP256();
        ed = JwtForge.ed25519();
        attacker = JwtForge.rsa(2048);
        hmac = JwtForge.secret(32);
        Path keys = Files.createDirectories(dir.resolve("keys"));
        BrokerConfig.Jwt jwt = new BrokerConfig.Jwt(ISSUER, AUDIENCE, List.of(
                new BrokerConfig.JwtKey("rsa", JwtForge.writePem(keys, "rsa.pem", rsa.getPublic()), null),
                new BrokerConfig.JwtKey("ec", JwtForge.writePem(keys, "ec.pem", ec.getPublic()), null),
                new BrokerConfig.JwtKey("hmac", null, JwtForge.writeSecret(keys, "hmac.secret", hmac))),
                JwtForge.writeJwks(keys, "idp.jwks", Map.of("ed", ed.getPublic())), List.of("JWT", "at+jwt"),
                Duration.ofHours(1), Duration.ofSeconds(1), "sub", "roles");
        broker = new TestBroker(dir.resolve("data"), c -> {
            return c.withAuth(c.auth().withJwt(jwt));
        }, clock);
        Files.writeString(broker.broker().config().authorization().policyFile(), """
                roles:
                  admin:
                    allow:
                      - actions: ["*"]
                        resources: ["*"]
                tokenRoles:
                  idp-broker-admins: [admin]
                """);
        broker.broker().reload();
        log = new ListAppender<>();
        log.start();
        Logger sessions = (Logger) LoggerFactory.getLogger("org.securebroker.server.session.SessionAuthentication");
        sessions.setLevel(ch.qos.logback.classic.Level.INFO);
        sessions.addAppender(log);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("org.securebroker.server.session.SessionAuthentication")).detachAppender(log);
        broker.close();
    }

    private static JwtForge.Token token(String subject, long seconds) {
        return JwtForge.token(ISSUER, AUDIENCE, subject, clock.instant(), seconds);
    }

    /** Each attempt from its own loopback address, so the per-address back-off does not interfere. */
    private static RawConnection connect() throws Exception {
        int n = nextAddress++;
        return RawConnection.tls(broker.port(), broker.caCert(), InetAddress.getByAddress(new byte[] {127, 0, 3, (byte) n}));
    }

    private static Object authenticate(RawConnection c, String token) throws Exception {
        HelloOkFrame hello = c.hello();
        assertThat(hello.authMechanisms()).contains("JWT");
        c.send(new AuthFrame(2, "JWT", Bytes.utf8(token)));
        return c.next();
    }

    @Test
    void shouldRefuseEveryKnownAttackWithItsReasonInTheLog() throws Exception {
        Instant now = clock.instant();
        String valid = token("alice", 300).kid("rsa").signRs256(rsa.getPrivate());
        Map<String, String> attacks = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();
        for (String none : new String[] {"none", "None", "NONE", "nOnE"}) {
            attacks.put("alg " + none, token("alice", 300).kid("rsa").unsecured(none));
            reasons.put("alg " + none, "unsecured token (alg '" + none + "') refused");
        }
        byte[] der = rsa.getPublic().getEncoded();
        attacks.put("RS256->HS256 with the DER public key", token("alice", 300).kid("rsa").signHs256(der));
        attacks.put("RS256->HS256 with the PEM public key", token("alice", 300).kid("rsa")
                .signHs256(JwtForge.pem(rsa.getPublic()).getBytes(StandardCharsets.US_ASCII)));
        reasons.put("RS256->HS256 with the DER public key", "algorithm confusion");
        reasons.put("RS256->HS256 with the PEM public key", "algorithm confusion");
        attacks.put("stripped signature", JwtForge.stripSignature(valid));
        reasons.put("stripped signature", "signature does not verify: the signature is missing");
        attacks.put("tampered payload", JwtForge.tamperClaim(valid, "sub", "admin"));
        reasons.put("tampered payload", "signature does not verify with key 'rsa'");
        attacks.put("attacker key under a known kid", token("alice", 300).kid("rsa").signRs256(attacker.getPrivate()));
        reasons.put("attacker key under a known kid", "signature does not verify with key 'rsa'");
        attacks.put("attacker kid", token("alice", 300).kid("attacker-1").signRs256(attacker.getPrivate()));
        reasons.put("attacker kid", "unknown kid 'attacker-1'");
        for (String header : new String[] {"jku", "x5u"}) {
            attacks.put("attacker " + header, token("alice", 300).kid("rsa").header(header, "https://evil.example/keys")
                    .signRs256(attacker.getPrivate()));
            reasons.put("attacker " + header, "header '" + header + "' refused");
        }
        attacks.put("attacker jwk", token("alice", 300).kid("rsa").header("jwk", JwtForge.jwk("rsa", attacker.getPublic()))
                .signRs256(attacker.getPrivate()));
        reasons.put("attacker jwk", "header 'jwk' refused");
        attacks.put("expired", JwtForge.token(ISSUER, AUDIENCE, "alice", now.minusSeconds(600), 300).kid("rsa")
                .signRs256(rsa.getPrivate()));
        reasons.put("expired", "token expired at");
        attacks.put("not yet valid", token("alice", 300).notBefore(now.plusSeconds(120)).kid("rsa").signRs256(rsa.getPrivate()));
        reasons.put("not yet valid", "token is not valid yet");
        attacks.put("wrong iss", JwtForge.token("https://evil.example/", AUDIENCE, "alice", now, 300).kid("rsa")
                .signRs256(rsa.getPrivate()));
        reasons.put("wrong iss", "wrong issuer");
        attacks.put("wrong aud", JwtForge.token(ISSUER, "another-service", "alice", now, 300).kid("rsa")
                .signRs256(rsa.getPrivate()));
        reasons.put("wrong aud", "wrong audience");
        attacks.put("missing aud", token("alice", 300).claim("aud", null).kid("rsa").signRs256(rsa.getPrivate()));
        reasons.put("missing aud", "claim 'aud' (audience) is missing");
        attacks.put("wrong typ", token("alice", 300).header("typ", "dpop+jwt").kid("rsa").signRs256(rsa.getPrivate()));
        reasons.put("wrong typ", "typ 'dpop+jwt' is not allowed");
        attacks.put("lifetime over the maximum", token("alice", 7200).kid("rsa").signRs256(rsa.getPrivate()));
        reasons.put("lifetime over the maximum", "lifetime over the maximum");
        attacks.put("weak HMAC key", token("alice", 300).kid("hmac").signHs256("secret".getBytes(StandardCharsets.US_ASCII)));
        reasons.put("weak HMAC key", "signature does not verify with key 'hmac'");

        for (Map.Entry<String, String> attack : attacks.entrySet()) {
            log.list.clear();
            try (RawConnection c = connect()) {
                Object answer = authenticate(c, attack.getValue());
                assertThat(answer).as(attack.getKey()).isInstanceOf(ErrorFrame.class);
                assertThat(((ErrorFrame) answer).code()).as(attack.getKey())
                        .isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
                assertThat(((ErrorFrame) answer).message()).isEqualTo("authentication failed");
                assertThat(c.next()).as(attack.getKey()).isSameAs(RawConnection.CLOSED);
            }
            assertThat(log.list).as(attack.getKey()).anySatisfy(e -> assertThat(e.getFormattedMessage())
                    .contains("JWT authentication failed: token rejected: " + reasons.get(attack.getKey())));
        }
        try (RawConnection c = connect()) {
            assertThat(authenticate(c, valid)).isInstanceOf(AuthOkFrame.class);
        }
    }

    @Test
    void shouldRefuseToStartWithAWeakHmacSecret() throws Exception {
        Path weak = JwtForge.writeSecret(Files.createDirectories(dir.resolve("weak-keys")), "weak.secret", JwtForge.secret(16));
        BrokerConfig.Jwt jwt = new BrokerConfig.Jwt(ISSUER, AUDIENCE, List.of(new BrokerConfig.JwtKey("weak", null, weak)),
                null, List.of("JWT"), Duration.ofHours(1), Duration.ofSeconds(1), "sub", null);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TestBroker(dir.resolve("weak-data"), c -> {
            return c.withAuth(c.auth().withJwt(jwt));
        })).hasMessageContaining("weak.secret").hasMessageContaining("at least 32 bytes (256 bits)");
    }

    @Test
    void shouldAcceptEachConfiguredKeyTypeAndTakeRolesFromTheTokenThroughTokenRoles() throws Exception {
        Map<String, String> tokens = Map.of(
                "RS256", token("alice", 300).kid("rsa").signRs256(rsa.getPrivate()),
                "ES256", token("alice", 300).kid("ec").signEs256(ec.getPrivate()),
                "HS256", token("alice", 300).kid("hmac").signHs256(hmac),
                "EdDSA from the JWKS", token("alice", 300).kid("ed").signEdDsa(ed.getPrivate()));
        for (Map.Entry<String, String> t : tokens.entrySet()) {
            try (RawConnection c = connect()) {
                AuthOkFrame ok = (AuthOkFrame) authenticate(c, t.getValue());
                assertThat(ok.principal()).as(t.getKey()).isEqualTo("alice");
                assertThat(ok.sessionExpiresAtMillis()).as(t.getKey()).isGreaterThan(clock.millis());
                c.send(new CreateQueueFrame(3, "jwt-queue", 0, "", 0));
                assertThat(((ErrorFrame) c.next()).code()).isEqualTo(ErrorCode.NOT_AUTHORIZED.code());
            }
        }
        // a claim value named like the broker's admin role grants nothing: only tokenRoles maps claims to roles
        try (RawConnection c = connect()) {
            authenticate(c, token("eve", 300).claim("roles", List.of("admin")).kid("rsa").signRs256(rsa.getPrivate()));
            c.send(new CreateQueueFrame(3, "jwt-queue", 0, "", 0));
            assertThat(((ErrorFrame) c.next()).code()).isEqualTo(ErrorCode.NOT_AUTHORIZED.code());
        }
        try (RawConnection c = connect()) {
            authenticate(c, token("ops", 300).claim("roles", List.of("idp-broker-admins", "idp-unknown")).kid("rsa")
                    .signRs256(rsa.getPrivate()));
            c.send(new CreateQueueFrame(3, "jwt-queue", 0, "", 0));
            assertThat(c.next()).isInstanceOf(OkFrame.class);
        }
        Path auditDir = broker.broker().config().audit().dir();
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<AuditEntry> logins = AuditTrail.entries(auditDir, "auth.success");
            assertThat(logins).filteredOn(e -> "eve".equals(e.principal())).singleElement().satisfies(e -> {
                assertThat(e.details()).containsEntry("claimRoles", "admin").containsEntry("roles", "")
                        .containsEntry("unmappedClaimRoles", "admin");
            });
            assertThat(logins).filteredOn(e -> "ops".equals(e.principal())).singleElement().satisfies(e -> {
                assertThat(e.details()).containsEntry("claimRoles", "idp-broker-admins,idp-unknown")
                        .containsEntry("roles", "admin").containsEntry("unmappedClaimRoles", "idp-unknown");
            });
        });
    }

    @Test
    void shouldRefuseAndAuditALookAlikePrincipalATextExpiryAndAnotherSpellingOfASignedToken() throws Exception {
        String valid = token("alice", 300).kid("rsa").signRs256(rsa.getPrivate());
        String padding = "=".repeat((4 - valid.length() % 4) % 4);
        assertThat(padding).as("an RS256 signature ends inside a base64 quantum").isNotEmpty();
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("principal claim 'sub' ('?lice') is not a valid user name",
                token("\u0430lice", 300).kid("rsa").signRs256(rsa.getPrivate()));
        refused.put("claim 'exp' must be a JSON number", token("alice", 300)
                .claim("exp", Long.toString(clock.instant().plusSeconds(300).getEpochSecond())).kid("rsa")
                .signRs256(rsa.getPrivate()));
        refused.put("signature is not base64url: '=' at position", valid + padding);
        Path auditDir = broker.broker().config().audit().dir();
        for (Map.Entry<String, String> r : refused.entrySet()) {
            try (RawConnection c = connect()) {
                ErrorFrame answer = (ErrorFrame) authenticate(c, r.getValue());
                assertThat(answer.code()).as(r.getKey()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
                assertThat(answer.message()).as(r.getKey()).isEqualTo("authentication failed");
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(AuditTrail.entries(auditDir, "auth.failure")).as(r.getKey())
                            .anySatisfy(e -> assertThat(e.reason()).contains("token rejected: " + r.getKey())));
        }
    }

    @Test
    void shouldCloseASessionWhoseTokenExpires() throws Exception {
        try (RawConnection c = connect()) {
            long t0 = clock.millis();
            AuthOkFrame ok = (AuthOkFrame) authenticate(c, token("alice", 2).kid("rsa").signRs256(rsa.getPrivate()));
            assertThat(ok.sessionExpiresAtMillis()).isBetween(t0 + 1000, t0 + 3000);
            c.send(new PingFrame(3, 3));
            assertThat(c.next()).isInstanceOf(PongFrame.class);
            // one millisecond before its expiry the session still serves requests, however long that took in real time
            clock.advanceToMillis(ok.sessionExpiresAtMillis() - 1);
            c.send(new PingFrame(4, 4));
            assertThat(c.next()).isInstanceOf(PongFrame.class);
            // at expiry the broker ends it by itself, without waiting for a request
            clock.advanceToMillis(ok.sessionExpiresAtMillis());
            ErrorFrame expired = (ErrorFrame) c.next();
            assertThat(expired.code()).isEqualTo(ErrorCode.SESSION_EXPIRED.code());
            assertThat(expired.correlationId()).isZero();
            assertThat(expired.message()).contains("renew it before expiry");
            assertThat(c.next()).isSameAs(RawConnection.CLOSED);
        }
    }

    @Test
    void shouldKeepASessionThatRenewsItsTokenOnTheSameConnection() throws Exception {
        try (RawConnection c = connect()) {
            AuthOkFrame first = (AuthOkFrame) authenticate(c, token("alice", 3).kid("rsa").signRs256(rsa.getPrivate()));
            clock.advance(Duration.ofSeconds(1));
            // a token for someone else, or a bad one, is refused and the session keeps its deadline
            c.send(new AuthFrame(10, "JWT", Bytes.utf8(token("mallory", 60).kid("rsa").signRs256(rsa.getPrivate()))));
            ErrorFrame other = (ErrorFrame) c.next();
            assertThat(other.correlationId()).isEqualTo(10);
            assertThat(other.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
            c.send(new AuthFrame(11, "JWT", Bytes.utf8(token("alice", 60).kid("rsa").unsecured("none"))));
            assertThat(((ErrorFrame) c.next()).correlationId()).isEqualTo(11);
            c.send(new AuthFrame(12, "JWT", Bytes.utf8(token("alice", 5).kid("ec").signEs256(ec.getPrivate()))));
            AuthOkFrame renewed = (AuthOkFrame) c.next();
            assertThat(renewed.correlationId()).isEqualTo(12);
            assertThat(renewed.principal()).isEqualTo("alice");
            assertThat(renewed.sessionExpiresAtMillis()).isGreaterThan(first.sessionExpiresAtMillis());
            // past the first token's expiry the renewed session still serves requests
            clock.advanceToMillis(first.sessionExpiresAtMillis() + 500);
            c.send(new PingFrame(13, 13));
            assertThat(c.next()).isInstanceOf(PongFrame.class);
            clock.advanceToMillis(renewed.sessionExpiresAtMillis() - 1);
            c.send(new PingFrame(14, 14));
            assertThat(c.next()).isInstanceOf(PongFrame.class);
            // and at the renewed token's expiry it ends: the next request is not served
            clock.advanceToMillis(renewed.sessionExpiresAtMillis());
            c.send(new PingFrame(15, 15));
            ErrorFrame expired = (ErrorFrame) c.next();
            assertThat(expired.code()).isEqualTo(ErrorCode.SESSION_EXPIRED.code());
            assertThat(expired.correlationId()).isZero();
            assertThat(c.next()).isSameAs(RawConnection.CLOSED);
        }
    }

    /** Renewing the token keeps the connection's one authenticated slot: a session never holds two. */
    @Test
    void shouldHoldOneConnectionSlotAcrossRenewals() throws Exception {
        ConnectionSlots slots = broker.broker().connectionSlots();
        // connections of the other tests release their slots as their close completes
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slots.authenticatedAs("alice") == 0);
        try (RawConnection c = connect()) {
            assertThat(authenticate(c, token("alice", 60).kid("rsa").signRs256(rsa.getPrivate())))
                    .isInstanceOf(AuthOkFrame.class);
            assertThat(slots.authenticatedAs("alice")).isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                c.send(new AuthFrame(20 + i, "JWT", Bytes.utf8(token("alice", 120).kid("rsa").signRs256(rsa.getPrivate()))));
                assertThat(c.next()).isInstanceOf(AuthOkFrame.class);
                assertThat(slots.authenticatedAs("alice")).isEqualTo(1);
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slots.authenticatedAs("alice") == 0);
    }
}
