package org.securebroker.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.auth.Scram;
import org.securebroker.protocol.frame.AuthChallengeFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.AuthResponseFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.AuthMechanism;
import org.securebroker.server.auth.AuthStep;
import org.securebroker.server.auth.AuthSecrets;
import org.securebroker.server.auth.LoginThrottle;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.server.auth.PasswordSecrets;
import org.securebroker.server.auth.PlainMechanism;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.auth.ScramMechanism;
import org.securebroker.server.rbac.Policy;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.server.auth.PasswordAuthenticator;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.session.ConnectionListener;
import org.securebroker.server.tls.LogCapture;
import org.securebroker.server.net.Pipeline;
import org.securebroker.testing.MutableClock;

/** The session state machine without sockets. */
class SessionHandlerTest {

    @TempDir
    Path dir;

    private PasswordAuthenticator authenticator;
    private UserStore users;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        SecureRandom random = new SecureRandom();
        if (channel != null) {
            tearDown();
        }
        Path file = dir.resolve("users.json");
        users = Files.exists(file) ? UserStore.load(file) : UserStore.create(file, List.of(User.of("alice",
                PasswordSecrets.derive("alice-password".toCharArray(), Argon2id.OWASP_MINIMUM, 4096, random), List.of(),
                Instant.now())));
        authenticator = new PasswordAuthenticator(users, Argon2id.OWASP_MINIMUM, 4096, 1, 4, random);
        LoginThrottle throttle = new LoginThrottle(new BrokerConfig.BruteForce(1000, 100, Duration.ofSeconds(1), 100,
                Duration.ofMinutes(1)), Clock.systemUTC());
        byte[] mask = AuthSecrets.loadOrCreate(dir.resolve("auth.key"), random);
        Mechanisms mechanisms = new Mechanisms(List.of(new ScramMechanism(users, authenticator, throttle, mask, 4096, random),
                new PlainMechanism(authenticator, throttle)), null);
        SessionSettings settings = new SessionSettings("test", Duration.ofSeconds(5), Duration.ofSeconds(5), 1 << 20, 100, Clock.systemUTC());
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(Pipeline.FRAME_DECODER, new FrameDecoder())
                .addLast(Pipeline.SESSION, new SessionHandler(settings, mechanisms, null, ConnectionListener.NONE,
                        () -> { }, AccessControl.unenforcedForBenchmarks(PolicyHolder.fixed(Policy.defaults()), users,
                        Clock.systemUTC())));
        channel.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        authenticator.close();
    }

    private <T> T outbound(Class<T> type) {
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> {
            channel.runPendingTasks();
            return !channel.outboundMessages().isEmpty();
        });
        Object o = channel.readOutbound();
        assertThat(o).isInstanceOf(type);
        return type.cast(o);
    }

    @Test
    void shouldRequireHelloFirst() {
        channel.writeInbound(new PingFrame(1, 1));
        ErrorFrame error = outbound(ErrorFrame.class);
        assertThat(error.code()).isEqualTo(ErrorCode.UNEXPECTED_FRAME.code());
        assertThat(error.correlationId()).isZero();
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void shouldNegotiateTheVersionAndFrameSize() {
        channel.writeInbound(new HelloFrame(1, 1, 5, 8192, "c"));
        HelloOkFrame ok = outbound(HelloOkFrame.class);
        assertThat(ok.version()).isEqualTo(2);
        assertThat(ok.maxFrameSize()).isEqualTo(8192);
        assertThat(ok.authMechanisms()).contains("PLAIN");
        assertThat(((FrameDecoder) channel.pipeline().get(Pipeline.FRAME_DECODER)).version()).isEqualTo(2);
    }

    @Test
    void shouldKeepTheDecoderAtVersionOneForAVersionOneClient() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 8192, "c"));
        HelloOkFrame ok = outbound(HelloOkFrame.class);
        assertThat(ok.version()).isEqualTo(1);
        assertThat(((FrameDecoder) channel.pipeline().get(Pipeline.FRAME_DECODER)).version()).isEqualTo(1);
    }

    @Test
    void shouldAuthenticateOffTheEventLoopAndRaiseTheFrameLimit() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        channel.writeInbound(new AuthFrame(2, "PLAIN", Bytes.copyOf("\0alice\0alice-password".getBytes(StandardCharsets.UTF_8))));
        AuthOkFrame ok = outbound(AuthOkFrame.class);
        assertThat(ok.principal()).isEqualTo("alice");
        assertThat(((FrameDecoder) channel.pipeline().get(Pipeline.FRAME_DECODER)).maxFrameSize()).isEqualTo(1 << 20);
    }

    @Test
    void shouldRefuseFramesWhileCredentialsAreChecked() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        channel.writeInbound(new AuthFrame(2, "PLAIN", Bytes.copyOf("\0alice\0alice-password".getBytes(StandardCharsets.UTF_8))));
        channel.writeInbound(new PingFrame(3, 1));
        ErrorFrame error = outbound(ErrorFrame.class);
        assertThat(error.code()).isEqualTo(ErrorCode.UNEXPECTED_FRAME.code());
    }

    @Test
    void shouldOfferScramFirstAndNotExternalWithoutACertificate() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        assertThat(outbound(HelloOkFrame.class).authMechanisms()).containsExactly("SCRAM-SHA-256", "PLAIN");
        channel.writeInbound(new AuthFrame(2, "EXTERNAL", Bytes.EMPTY));
        ErrorFrame error = outbound(ErrorFrame.class);
        assertThat(error.code()).isEqualTo(ErrorCode.UNSUPPORTED_MECHANISM.code());
        assertThat(error.correlationId()).isEqualTo(2);
        assertThat(error.message()).contains("SCRAM-SHA-256", "PLAIN");
    }

    @Test
    void shouldAuthenticateWithScramAndProveTheServerKnowsTheKey() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        ScramClient client = new ScramClient("alice", "alice-password");
        channel.writeInbound(new AuthFrame(7, Scram.MECHANISM, Bytes.utf8(client.first())));
        AuthChallengeFrame challenge = outbound(AuthChallengeFrame.class);
        assertThat(challenge.correlationId()).isEqualTo(7);
        channel.writeInbound(new AuthResponseFrame(7, Bytes.utf8(client.last(utf8(challenge.challenge())))));
        AuthOkFrame ok = outbound(AuthOkFrame.class);
        assertThat(ok.principal()).isEqualTo("alice");
        assertThat(ok.sessionExpiresAtMillis()).isZero();
        assertThat(utf8(ok.additionalData())).isEqualTo(client.expectedServerFinal());
    }

    @Test
    void shouldEscapeAFailureReasonBeforeItIsLogged() {
        String reason = "refused \u001b[2J\u001b]0;title\u0007 for\r\n2024-01-01 INFO forged\u2028line \u202egnp.exe";
        AuthMechanism careless = new AuthMechanism() {
            @Override
            public String name() {
                return "PLAIN";
            }

            @Override
            public Exchange start(org.securebroker.server.auth.ConnectionInfo connection) {
                return message -> CompletableFuture.completedFuture(AuthStep.Failure.denied(reason, null));
            }
        };
        channel.finishAndReleaseAll();
        SessionSettings settings = new SessionSettings("test", Duration.ofSeconds(5), Duration.ofSeconds(5), 1 << 20, 100,
                Clock.systemUTC());
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(Pipeline.FRAME_DECODER, new FrameDecoder())
                .addLast(Pipeline.SESSION, new SessionHandler(settings, new Mechanisms(List.of(careless), null), null,
                        ConnectionListener.NONE, () -> { }, AccessControl.unenforcedForBenchmarks(
                        PolicyHolder.fixed(Policy.defaults()), users, Clock.systemUTC())));
        channel.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);

        try (LogCapture log = LogCapture.of(SessionAuthentication.class)) {
            channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
            outbound(HelloOkFrame.class);
            channel.writeInbound(new AuthFrame(2, "PLAIN", Bytes.utf8("\0x\0y")));
            assertThat(outbound(ErrorFrame.class).code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());

            List<String> lines = log.messages(ch.qos.logback.classic.Level.INFO);
            assertThat(lines).anySatisfy(line -> assertThat(line).contains("authentication failed: refused "
                    + "\\u001b[2J\\u001b]0;title\\u0007 for\\u000d\\u000a2024-01-01 INFO forged\\u2028line \\u202egnp.exe"));
            assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain("\u001b", "\r", "\n", "\u2028",
                    "\u202e", "\u0007"));
        }
    }

    @Test
    void shouldNameTheAuthenticationTimeoutAsItIsConfigured() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        channel.advanceTimeBy(6, TimeUnit.SECONDS);
        ErrorFrame error = outbound(ErrorFrame.class);
        assertThat(error.code()).isEqualTo(ErrorCode.AUTHENTICATION_TIMEOUT.code());
        assertThat(error.message()).isEqualTo("authentication did not complete within 5s");
    }

    @Test
    void shouldRefuseAWrongScramPassword() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        ScramClient client = new ScramClient("alice", "not-the-password");
        channel.writeInbound(new AuthFrame(7, Scram.MECHANISM, Bytes.utf8(client.first())));
        AuthChallengeFrame challenge = outbound(AuthChallengeFrame.class);
        channel.writeInbound(new AuthResponseFrame(7, Bytes.utf8(client.last(utf8(challenge.challenge())))));
        ErrorFrame error = outbound(ErrorFrame.class);
        assertThat(error.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
        assertThat(error.correlationId()).isEqualTo(7);
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void shouldChallengeAnUnknownUserLikeAKnownOneWithAStableSalt() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        channel.writeInbound(new AuthFrame(7, Scram.MECHANISM, Bytes.utf8("n,,n=mallory,r=abc")));
        String first = utf8(outbound(AuthChallengeFrame.class).challenge());
        assertThat(Scram.attributes(first).get('i')).isEqualTo("4096");
        setUp();
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        channel.writeInbound(new AuthFrame(7, Scram.MECHANISM, Bytes.utf8("n,,n=mallory,r=xyz")));
        String second = utf8(outbound(AuthChallengeFrame.class).challenge());
        assertThat(Scram.attributes(second).get('s')).isEqualTo(Scram.attributes(first).get('s'));
    }

    @Test
    void shouldRefuseAnAuthResponseWithoutAChallenge() {
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        channel.writeInbound(new AuthResponseFrame(7, Bytes.utf8("c=biws,r=x,p=AAAA")));
        ErrorFrame error = outbound(ErrorFrame.class);
        assertThat(error.code()).isEqualTo(ErrorCode.UNEXPECTED_FRAME.code());
    }

    @Test
    void shouldRefuseMalformedScramMessages() {
        for (String first : new String[] {"p=tls-unique,,n=alice,r=abc", "n,,r=abc", "n,,n=alice", "n,,n=alice,r=a b",
            "n,a=bob,n=alice,r=abc", "n,,m=ext,n=alice,r=abc", "garbage"}) {
            setUp();
            channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
            outbound(HelloOkFrame.class);
            channel.writeInbound(new AuthFrame(7, Scram.MECHANISM, Bytes.utf8(first)));
            assertThat(outbound(ErrorFrame.class).code()).as(first).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
        }
    }

    /** A session that authenticates with a token valid until {@code expiresAt} on {@code clock}; both timer and clock stand still. */
    private void openTokenSession(MutableClock clock, Instant expiresAt, ConnectionListener listener) {
        AuthMechanism token = new AuthMechanism() {
            @Override
            public String name() {
                return "TOKEN";
            }

            @Override
            public Exchange start(org.securebroker.server.auth.ConnectionInfo connection) {
                return message -> CompletableFuture.completedFuture(new AuthStep.Success(
                        new Identity("alice", List.of(), "TOKEN", expiresAt.toEpochMilli(), false), Bytes.EMPTY));
            }
        };
        tearDown();
        authenticator = new PasswordAuthenticator(users, Argon2id.OWASP_MINIMUM, 4096, 1, 4, new SecureRandom());
        SessionSettings settings = new SessionSettings("test", Duration.ofSeconds(5), Duration.ofSeconds(5), 1 << 20, 100, clock);
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(Pipeline.FRAME_DECODER, new FrameDecoder())
                .addLast(Pipeline.SESSION, new SessionHandler(settings, new Mechanisms(List.of(token), token), null,
                        listener, () -> { }, AccessControl.unenforcedForBenchmarks(PolicyHolder.fixed(Policy.defaults()),
                        users, clock)));
        channel.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
        channel.writeInbound(new HelloFrame(1, 1, 1, 1 << 20, "c"));
        outbound(HelloOkFrame.class);
        channel.writeInbound(new AuthFrame(2, "TOKEN", Bytes.EMPTY));
        assertThat(outbound(AuthOkFrame.class).sessionExpiresAtMillis()).isEqualTo(expiresAt.toEpochMilli());
    }

    private static ConnectionListener countingExpiries(AtomicInteger expiries) {
        return new ConnectionListener() {
            @Override
            public void sessionExpired(Channel channel, String principal, String mechanism) {
                expiries.incrementAndGet();
            }
        };
    }

    private void assertExpired(AtomicInteger expiries) {
        ErrorFrame error = outbound(ErrorFrame.class);
        assertThat(error.code()).isEqualTo(ErrorCode.SESSION_EXPIRED.code());
        assertThat(error.correlationId()).isZero();
        assertThat(error.message()).contains("renew it before expiry by sending AUTH TOKEN");
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isFalse();
        assertThat(expiries).hasValue(1);
    }

    @Test
    void shouldEndATokenSessionAtItsDeadline() {
        MutableClock clock = MutableClock.at(Instant.parse("2026-11-28T10:00:00Z"));
        AtomicInteger expiries = new AtomicInteger();
        openTokenSession(clock, clock.instant().plusSeconds(60), countingExpiries(expiries));
        clock.advance(Duration.ofSeconds(60));
        channel.advanceTimeBy(60, TimeUnit.SECONDS);
        channel.runPendingTasks();
        assertExpired(expiries);
    }

    @Test
    void shouldKeepASessionWhoseTimerFiresBeforeTheClockReachesTheDeadline() {
        MutableClock clock = MutableClock.at(Instant.parse("2026-11-28T10:00:00Z"));
        AtomicInteger expiries = new AtomicInteger();
        openTokenSession(clock, clock.instant().plusSeconds(60), countingExpiries(expiries));
        // the timer's 60 s have passed, the clock's have not (a wall clock stepped back, or a test's clock)
        channel.advanceTimeBy(60, TimeUnit.SECONDS);
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.outboundMessages()).isEmpty();
        channel.writeInbound(new PingFrame(3, 3));
        assertThat(outbound(PongFrame.class).correlationId()).isEqualTo(3);
        // once the clock gets there, the timer that looks again ends the session within its recheck interval
        clock.advance(Duration.ofSeconds(60));
        channel.advanceTimeBy(SessionAuthentication.RECHECK_MILLIS, TimeUnit.MILLISECONDS);
        channel.runPendingTasks();
        assertExpired(expiries);
    }

    @Test
    void shouldServeFramesUntilTheLastMillisecondAndRefuseTheFirstOneAfterTheDeadline() {
        MutableClock clock = MutableClock.at(Instant.parse("2026-11-28T10:00:00Z"));
        AtomicInteger expiries = new AtomicInteger();
        Instant deadline = clock.instant().plusSeconds(60);
        openTokenSession(clock, deadline, countingExpiries(expiries));
        clock.advanceTo(deadline.minusMillis(1));
        channel.writeInbound(new PingFrame(3, 3));
        assertThat(outbound(PongFrame.class).correlationId()).isEqualTo(3);
        // the clock passes the deadline while the timer has not fired: the next frame is not served
        clock.advanceTo(deadline);
        channel.writeInbound(new PingFrame(4, 4));
        assertExpired(expiries);
        assertThat(channel.outboundMessages()).as("no PONG after expiry").isEmpty();
    }

    private static String utf8(Bytes bytes) {
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
    }

    /** The client side of SCRAM-SHA-256, computed with the shared key derivations. */
    private static final class ScramClient {
        private final String user;
        private final String password;
        private final String nonce = "rOprNGfwEbeRWgbNEkqO";
        private String serverSignature;

        ScramClient(String user, String password) {
            this.user = user;
            this.password = password;
        }

        String first() {
            return "n,,n=" + user + ",r=" + nonce;
        }

        String last(String serverFirst) {
            var attributes = Scram.attributes(serverFirst);
            byte[] salted = Scram.saltedPassword(password.toCharArray(), Base64.getDecoder().decode(attributes.get('s')),
                    Integer.parseInt(attributes.get('i')));
            String withoutProof = "c=" + Scram.CHANNEL_BINDING + ",r=" + attributes.get('r');
            String authMessage = Scram.authMessage("n=" + user + ",r=" + nonce, serverFirst, withoutProof);
            byte[] clientKey = Scram.hmac(salted, "Client Key");
            byte[] proof = Scram.clientProof(clientKey, Scram.sha256(clientKey), authMessage);
            serverSignature = Base64.getEncoder().encodeToString(Scram.hmac(Scram.hmac(salted, "Server Key"), authMessage));
            return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
        }

        String expectedServerFinal() {
            return "v=" + serverSignature;
        }
    }
}
