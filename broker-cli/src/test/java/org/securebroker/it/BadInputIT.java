package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;

/**
 * Bad input of every kind gets a clear error, and the broker keeps serving a well-behaved client
 * that is connected the whole time.
 */
class BadInputIT {

    @TempDir
    static Path dir;

    static TestBroker broker;
    static RawConnection good;

    @BeforeAll
    static void start() throws Exception {
        broker = new TestBroker(dir.resolve("data"));
        good = broker.admin();
        good.send(new CreateQueueFrame(3, "q", 0, "", 0));
        good.expect(OkFrame.class);
    }

    @AfterAll
    static void stop() {
        good.close();
        broker.close();
    }

    @AfterEach
    void goodClientStillServed() throws Exception {
        good.send(new PublishFrame(100, "q", List.of(PublishMessage.of(Bytes.utf8("still here")))));
        good.expect(PublishOkFrame.class);
        good.send(new PingFrame(101, 42));
        assertThat(good.expect(PongFrame.class).payload()).isEqualTo(42);
    }

    private static void expectErrorThenClose(RawConnection c, ErrorCode code) throws Exception {
        ErrorFrame error = c.expect(ErrorFrame.class);
        assertThat(error.code()).as(error.message()).isEqualTo(code.code());
        assertThat(error.message()).isNotBlank().doesNotContain("Exception").doesNotContain("at org.");
        assertThat(c.next()).isSameAs(RawConnection.CLOSED);
    }

    private static byte[] header(long length, int type, int correlationId) {
        return ByteBuffer.allocate(10).putInt((int) length).put((byte) type).put((byte) 0).putInt(correlationId).array();
    }

    @Test
    void shouldAnswerAPlaintextClientWithTlsRequired() throws Exception {
        try (RawConnection c = RawConnection.plaintext(broker.port())) {
            c.send(new HelloFrame(1, 1, 1, 65536, "plain"));
            ErrorFrame error = c.expect(ErrorFrame.class);
            assertThat(error.code()).isEqualTo(ErrorCode.TLS_REQUIRED.code());
            assertThat(error.message()).contains("TLS");
            assertThat(c.next()).isSameAs(RawConnection.CLOSED);
        }
    }

    @Test
    void shouldRefuseGarbageBeforeHello() throws Exception {
        try (RawConnection c = broker.raw()) {
            c.sendBytes("GET / HTTP/1.1\r\nHost: broker\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            expectErrorThenClose(c, ErrorCode.FRAME_TOO_LARGE);
        }
        try (RawConnection c = broker.raw()) {
            byte[] bytes = header(6 + 3, 0x01, 1);
            c.sendBytes(ByteBuffer.allocate(bytes.length + 3).put(bytes).put(new byte[] {1, 2, 3}).array());
            expectErrorThenClose(c, ErrorCode.PROTOCOL_ERROR);
        }
    }

    @Test
    void shouldRefuseAnUnknownFrameType() throws Exception {
        try (RawConnection c = broker.admin()) {
            c.sendBytes(header(6, 0x7F, 9));
            expectErrorThenClose(c, ErrorCode.UNKNOWN_FRAME_TYPE);
        }
    }

    @Test
    void shouldRefuseAnOversizedFrameBeforeReadingIt() throws Exception {
        try (RawConnection c = broker.raw()) {
            c.sendBytes(header(ProtocolLimits.PRE_AUTH_MAX_FRAME_SIZE + 1, 0x01, 1));
            expectErrorThenClose(c, ErrorCode.FRAME_TOO_LARGE);
        }
        try (RawConnection c = broker.admin()) {
            c.sendBytes(header(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE + 1, 0x10, 5));
            expectErrorThenClose(c, ErrorCode.FRAME_TOO_LARGE);
        }
    }

    @Test
    void shouldRefuseFramesBeforeHelloAndBeforeAuthentication() throws Exception {
        try (RawConnection c = broker.raw()) {
            c.send(new PublishFrame(1, "q", List.of(PublishMessage.of(Bytes.utf8("sneaky")))));
            expectErrorThenClose(c, ErrorCode.UNEXPECTED_FRAME);
        }
        try (RawConnection c = broker.raw()) {
            c.send(new HelloFrame(1, 1, 1, 65536, "t"));
            c.expect(HelloOkFrame.class);
            c.send(new SubscribeFrame(2, "q", "s", 10));
            expectErrorThenClose(c, ErrorCode.UNEXPECTED_FRAME);
        }
    }

    @Test
    void shouldRefuseAWrongPasswordAndAnUnknownUserAlike() throws Exception {
        for (String user : List.of("admin", "nobody")) {
            try (RawConnection c = broker.raw()) {
                c.send(new HelloFrame(1, 1, 1, 65536, "t"));
                c.expect(HelloOkFrame.class);
                c.send(new AuthFrame(7, "PLAIN", Bytes.utf8("\0" + user + "\0not-the-password")));
                ErrorFrame error = c.expect(ErrorFrame.class);
                assertThat(error.correlationId()).isEqualTo(7);
                assertThat(error.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED.code());
                assertThat(error.message()).isEqualTo("authentication failed");
                assertThat(c.next()).isSameAs(RawConnection.CLOSED);
            }
        }
    }

    @Test
    void shouldRefuseAnUnsupportedVersionAndMechanism() throws Exception {
        try (RawConnection c = broker.raw()) {
            c.send(new HelloFrame(1, 3, 4, 65536, "future"));
            expectErrorThenClose(c, ErrorCode.UNSUPPORTED_VERSION);
        }
        try (RawConnection c = broker.raw()) {
            c.send(new HelloFrame(1, 1, 1, 65536, "t"));
            c.expect(HelloOkFrame.class);
            c.send(new AuthFrame(2, "CRAM-MD5", Bytes.EMPTY));
            ErrorFrame error = c.expect(ErrorFrame.class);
            assertThat(error.code()).isEqualTo(ErrorCode.UNSUPPORTED_MECHANISM.code());
            assertThat(c.next()).isSameAs(RawConnection.CLOSED);
        }
    }

    @Test
    void shouldAnswerAPublishToAMissingQueueAndKeepTheSession() throws Exception {
        try (RawConnection c = broker.admin()) {
            c.send(new PublishFrame(21, "no-such-queue", List.of(PublishMessage.of(Bytes.utf8("x")))));
            ErrorFrame error = c.expect(ErrorFrame.class);
            assertThat(error.correlationId()).isEqualTo(21);
            assertThat(error.code()).isEqualTo(ErrorCode.QUEUE_NOT_FOUND.code());
            assertThat(error.message()).contains("no-such-queue").contains("broker queue create");
            c.send(new PingFrame(22, 7));
            assertThat(c.expect(PongFrame.class).payload()).isEqualTo(7);
        }
    }
}
