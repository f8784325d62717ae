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
        expected.put("REJECT", 0x1A);
        expected.put("CREATE_QUEUE", 0x20);
        expected.put("DELETE_QUEUE", 0x21);
        expected.put("LIST_QUEUES", 0x22);
        expected.put("RELOAD", 0x24);
        expected.put("QUEUE_LIST", 0x23);
        expected.put("LIST_SUBSCRIPTIONS", 0x25);
        expected.put("SUBSCRIPTION_LIST", 0x26);
        expected.put("DELETE_SUBSCRIPTION", 0x27);
        expected.put("PURGE_QUEUE", 0x28);
        expected.put("PURGE_OK", 0x29);
        expected.put("BROWSE", 0x2A);
        expected.put("BROWSE_RESULT", 0x2B);
        expected.put("SEEK", 0x2C);
        expected.put("SEEK_OK", 0x2D);
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
        for (int code = 0x1B; code <= 0x1F; code++) {
            assertThat(FrameType.fromCode(code)).isEmpty();
        }
        for (int code = 0x2E; code <= 0x2F; code++) {
            assertThat(FrameType.fromCode(code)).isEmpty();
        }
        assertThat(FrameType.fromCode(0)).isEmpty();
        assertThat(FrameType.fromCode(256)).isEmpty();
    }

    @Test
    void shouldIntroduceExactlyTheSubscriptionLifecycleFramesInVersionTwo() {
        List<FrameType> second = new ArrayList<>();
        for (FrameType t : FrameType.values()) {
            assertThat(t.since()).as(t.name()).isBetween(1, 2);
            if (t.since() == 2) {
                second.add(t);
            }
        }
        assertThat(second).containsExactly(FrameType.REJECT, FrameType.LIST_SUBSCRIPTIONS,
                FrameType.SUBSCRIPTION_LIST, FrameType.DELETE_SUBSCRIPTION, FrameType.PURGE_QUEUE,
                FrameType.PURGE_OK, FrameType.BROWSE, FrameType.BROWSE_RESULT, FrameType.SEEK,
                FrameType.SEEK_OK);
    }

    @Test
    void shouldKnowAVersionTwoCodeOnlyInAVersionTwoSession() {
        assertThat(FrameType.fromCode(0x25, 1)).isEmpty();
        assertThat(FrameType.fromCode(0x25, 2)).contains(FrameType.LIST_SUBSCRIPTIONS);
        assertThat(FrameType.fromCode(0x17, 1)).contains(FrameType.ACK);
        assertThat(FrameType.fromCode(0x17, 2)).contains(FrameType.ACK);
        assertThat(FrameType.fromCode(0x2E, 2)).isEmpty();
    }

    @Test
    void shouldRejectARejectReasonLongerThan1024Utf8Bytes() {
        assertThat(new RejectFrame(1, 2, 3, "x".repeat(1024)).reason()).hasSize(1024);
        // 342 three-byte characters are 1026 bytes although only 342 chars
        assertThatThrownBy(() -> new RejectFrame(1, 2, 3, "\u20AC".repeat(342)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1026")
                .hasMessageContaining("1024");
        assertThatThrownBy(() -> new RejectFrame(1, 2, 3, "\uD800"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reason");
    }

    @Test
    void shouldRejectBrowseLimitsOutsideTheirRange() {
        assertThat(new BrowseFrame(1, "q", 0, 1, 1).maxMessages()).isEqualTo(1);
        assertThat(new BrowseFrame(1, "q", 0, 1000, 0xFFFF_FFFFL).maxBytes()).isEqualTo(0xFFFF_FFFFL);
        assertThatThrownBy(() -> new BrowseFrame(1, "q", 0, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMessages 0");
        assertThatThrownBy(() -> new BrowseFrame(1, "q", 0, 1001, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 1000]");
        assertThatThrownBy(() -> new BrowseFrame(1, "q", 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
        assertThatThrownBy(() -> new BrowseFrame(1, "q", 0, 1, 0x1_0000_0000L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
        BrowsedMessage m = new BrowsedMessage(0, 0, "p", "", 0, Headers.EMPTY, Bytes.EMPTY, Bytes.EMPTY,
                Bytes.EMPTY);
        assertThatThrownBy(() -> new BrowseResultFrame(1, 0, Collections.nCopies(1001, m)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1001");
    }

    @Test
    void shouldRejectSubscriptionInfoOutsideItsWireRange() {
        assertThatThrownBy(() -> new SubscriptionInfo("s", 0x1_0000_0000L, 0, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("consumers");
        assertThatThrownBy(() -> new SubscriptionInfo("s", 0, 0, -1, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inFlight");
        assertThatThrownBy(() -> new SubscriptionInfo("s", 0, 0, 0, 0, -1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lastActiveMillis");
        assertThatThrownBy(() -> new SubscriptionInfo("s", 0, 0, 0, 0, 0, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expiresAtMillis");
    }

    @Test
    void shouldMapSeekKindsToTheirWireCodes() {
        assertThat(SeekFrame.Kind.OFFSET.code()).isZero();
        assertThat(SeekFrame.Kind.TIME.code()).isEqualTo(1);
        assertThat(SeekFrame.Kind.fromCode(1)).contains(SeekFrame.Kind.TIME);
        assertThat(SeekFrame.Kind.fromCode(2)).isEmpty();
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
        BrowseResultFrame browsed = new BrowseResultFrame(1, 1, List.of(new BrowsedMessage(0, 0, "p", "", 0,
                Headers.EMPTY, payload, Bytes.EMPTY, Bytes.EMPTY)));
        assertThat(publish.toString()).doesNotContain("4111");
        assertThat(deliver.toString()).doesNotContain("4111");
        assertThat(browsed.toString()).doesNotContain("4111");
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
