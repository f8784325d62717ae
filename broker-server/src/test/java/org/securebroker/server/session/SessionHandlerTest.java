package org.securebroker.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.server.auth.Argon2id;
import org.securebroker.server.auth.PasswordAuthenticator;
import org.securebroker.server.auth.User;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.net.ConnectionListener;
import org.securebroker.server.net.Pipeline;

/** The session state machine without sockets. */
class SessionHandlerTest {

    @TempDir
    Path dir;

    private PasswordAuthenticator authenticator;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        SecureRandom random = new SecureRandom();
        UserStore users = UserStore.create(dir.resolve("users.json"), List.of(new User("alice",
                Argon2id.OWASP_MINIMUM.hash("alice-password".toCharArray(), random), null, List.of(), false, Instant.now())));
        authenticator = new PasswordAuthenticator(users, Argon2id.OWASP_MINIMUM, 1, 4, random);
        SessionSettings settings = new SessionSettings("test", Duration.ofSeconds(5), Duration.ofSeconds(5), 1 << 20, 100);
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(Pipeline.FRAME_DECODER, new FrameDecoder())
                .addLast(Pipeline.SESSION, new SessionHandler(settings, authenticator, null, ConnectionListener.NONE));
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
        assertThat(ok.version()).isEqualTo(1);
        assertThat(ok.maxFrameSize()).isEqualTo(8192);
        assertThat(ok.authMechanisms()).containsExactly("PLAIN");
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
    void shouldRefuseMalformedPlainResponses() {
        for (String response : new String[] {"alice\0alice-password", "\0alice\0", "bob\0alice\0alice-password",
            "\0\0pw", "\0alice\0pw\0extra"}) {
            assertThat(SessionHandler.Plain.parse(Bytes.copyOf(response.getBytes(StandardCharsets.UTF_8)))).as(response)
                    .isNull();
        }
        SessionHandler.Plain plain = SessionHandler.Plain.parse(Bytes.copyOf("alice\0alice\0pässword".getBytes(StandardCharsets.UTF_8)));
        assertThat(plain.user()).isEqualTo("alice");
        assertThat(new String(plain.password())).isEqualTo("pässword");
        assertThat(plain.toString()).doesNotContain("pässword");
    }
}
