package org.securebroker.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;

class FrameRecordsTest {

    @Test
    void shouldKeepEveryFrameTypeCodeExactlyAsReleased() {
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("HELLO", 0x01);
        expected.put("HELLO_OK", 0x02);
        expected.put("AUTH", 0x03);
        expected.put("AUTH_CHALLENGE", 0x04);
        expected.put("AUTH_RESPONSE", 0x05);
        expected.put("AUTH_OK", 0x06);
        expected.put("PUBLISH", 0x10);
        expected.put("PUBLISH_OK", 0x11);
        expected.put("SUBSCRIBE", 0x12);
        expected.put("SUBSCRIBE_OK", 0x13);
        expected.put("UNSUBSCRIBE", 0x14);
        expected.put("CREDIT", 0x15);
        expected.put("DELIVER", 0x16);
        expected.put("ACK", 0x17);
        expected.put("NACK", 0x18);
        expected.put("CANCEL", 0x19);
        expected.put("CREATE_QUEUE", 0x20);
        expected.put("DELETE_QUEUE", 0x21);
        expected.put("LIST_QUEUES", 0x22);
        expected.put("RELOAD", 0x24);
        expected.put("QUEUE_LIST", 0x23);
        expected.put("OK", 0x30);
        expected.put("ERROR", 0x31);
        expected.put("PING", 0x32);
        expected.put("PONG", 0x33);
        expected.put("CLOSE", 0x34);
        Map<String, Integer> actual = new LinkedHashMap<>();
        for (FrameType t : FrameType.values()) {
            actual.put(t.name(), t.code());
        }
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void shouldLeaveReservedTypeCodesUnassigned() {
        for (int code = 0x07; code <= 0x0F; code++) {
            assertThat(FrameType.fromCode(code)).isEmpty();
        }
        for (int code = 0x25; code <= 0x2F; code++) {
            assertThat(FrameType.fromCode(code)).isEmpty();
        }
        assertThat(FrameType.fromCode(0)).isEmpty();
        assertThat(FrameType.fromCode(256)).isEmpty();
    }

    @Test
    void shouldNeverPrintCredentialBytes() {
        String secret = "s3cret-password";
        Bytes credential = Bytes.utf8("\0alice\0" + secret);
        List<Frame> frames = List.of(
                new AuthFrame(1, "PLAIN", credential),
                new AuthChallengeFrame(1, credential),
                new AuthResponseFrame(1, credential),
                new AuthOkFrame(1, "alice", 0, credential));
        for (Frame frame : frames) {
            assertThat(frame.toString()).doesNotContain(secret).contains("length=");
        }
    }

    @Test
    void shouldNeverPrintPayloadBytes() {
        Bytes payload = Bytes.utf8("card=4111111111111111");
        PublishFrame publish = new PublishFrame(1, "q", List.of(PublishMessage.of(payload)));
        DeliverFrame deliver = new DeliverFrame(1, "q", 0, 1, 0, "p", "", 0, Headers.EMPTY,
                payload, Bytes.EMPTY, Bytes.EMPTY);
        assertThat(publish.toString()).doesNotContain("4111");
        assertThat(deliver.toString()).doesNotContain("4111");
    }

    @Test
    void shouldCopyAckOffsetsDefensively() {
        long[] offsets = {1, 2, 3};
        AckFrame ack = new AckFrame(1, 2, offsets);
        offsets[0] = 99;
        ack.offsets()[1] = 99;
        assertThat(ack.offsets()).containsExactly(1, 2, 3);
        assertThat(ack).isEqualTo(new AckFrame(1, 2, new long[] {1, 2, 3}))
                .hasSameHashCodeAs(new AckFrame(1, 2, new long[] {1, 2, 3}))
                .isNotEqualTo(new AckFrame(1, 2, new long[] {1, 2}));
        assertThat(ack.toString()).contains("[1, 2, 3]");
    }

    @Test
    void shouldRejectAckWithoutOffsetsOrWithTooMany() {
        assertThatThrownBy(() -> new AckFrame(1, 2, new long[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AckFrame(1, 2, new long[4097]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectPublishWithoutMessagesOrWithTooMany() {
        assertThatThrownBy(() -> new PublishFrame(1, "q", List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        List<PublishMessage> tooMany = Collections.nCopies(1001, PublishMessage.of(Bytes.EMPTY));
        assertThatThrownBy(() -> new PublishFrame(1, "q", tooMany))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectNegativeDurations() {
        assertThatThrownBy(() -> new PublishMessage("", 0, -1, Headers.EMPTY, Bytes.EMPTY, Bytes.EMPTY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttlMillis");
        assertThatThrownBy(() -> new NackFrame(1, 1, 0, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delayMillis");
    }

    @Test
    void shouldRejectValuesOutsideTheirWireRange() {
        assertThatThrownBy(() -> new HelloFrame(1, 0x10000, 1, 4096, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CreditFrame(1, 1, 0x1_0000_0000L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ErrorFrame(1, -1, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeliverFrame(1, "q", 0, 0, 0, "p", "", 0, Headers.EMPTY,
                Bytes.EMPTY, Bytes.EMPTY, Bytes.EMPTY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deliveryCount");
    }

    @Test
    void shouldAlwaysGiveDeliverCorrelationIdZero() {
        DeliverFrame deliver = new DeliverFrame(1, "q", 0, 1, 0, "p", "", 0, Headers.EMPTY,
                Bytes.EMPTY, Bytes.EMPTY, Bytes.EMPTY);
        assertThat(deliver.correlationId()).isZero();
    }

    @Test
    void shouldKeepUnknownErrorCodesAndTreatThemAsNotRetriable() {
        ErrorFrame unknown = new ErrorFrame(1, 999, "from the future");
        assertThat(unknown.code()).isEqualTo(999);
        assertThat(unknown.errorCode()).isEmpty();
        assertThat(unknown.retriable()).isFalse();
        assertThat(ErrorFrame.of(1, ErrorCode.OVERLOADED).retriable()).isTrue();
        assertThat(new CloseFrame(0, 999, "").errorCode()).isEmpty();
    }

    @Test
    void shouldBuildAConnectionLevelErrorFromAProtocolException() {
        ErrorFrame error = ErrorFrame.of(new ProtocolException(ErrorCode.FRAME_TOO_LARGE, "too big"));
        assertThat(error).isEqualTo(new ErrorFrame(0, 3, "too big"));
    }

    @Test
    void shouldMakeListsImmutable() {
        ArrayList<String> mechanisms = new ArrayList<>(Arrays.asList("PLAIN"));
        HelloOkFrame ok = new HelloOkFrame(1, 1, 4096, "s", mechanisms, 1000);
        mechanisms.add("JWT");
        assertThat(ok.authMechanisms()).containsExactly("PLAIN");
        assertThatThrownBy(() -> ok.authMechanisms().add("X"))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
