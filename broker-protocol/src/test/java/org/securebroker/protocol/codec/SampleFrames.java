package org.securebroker.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.AuthChallengeFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.AuthResponseFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CloseFrame;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.CreditFrame;
import org.securebroker.protocol.frame.DeleteQueueFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.CancelFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.FrameType;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.ListQueuesFrame;
import org.securebroker.protocol.frame.ReloadFrame;
import org.securebroker.protocol.frame.NackFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PingFrame;
import org.securebroker.protocol.frame.PongFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.PublishResult;
import org.securebroker.protocol.frame.QueueInfo;
import org.securebroker.protocol.frame.QueueListFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.protocol.frame.UnsubscribeFrame;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.BrowsedMessage;
import org.securebroker.protocol.frame.DeleteSubscriptionFrame;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.PurgeOkFrame;
import org.securebroker.protocol.frame.PurgeQueueFrame;
import org.securebroker.protocol.frame.RejectFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscriptionInfo;
import org.securebroker.protocol.frame.SubscriptionListFrame;

/** One representative, fully populated frame per type, and byte helpers for tests. */
final class SampleFrames {

    private SampleFrames() {
    }

    static final Headers HEADERS = Headers.builder()
            .add("content-type", "application/json")
            .add("trace-id", new byte[] {1, 2, 3})
            .add("ключ", Bytes.EMPTY)
            .build();

    /** The sample for {@code type}; the switch is exhaustive, so a new type must add one. */
    static Frame sample(FrameType type) {
        return switch (type) {
            case HELLO -> new HelloFrame(1, 1, 3, 0xFFFF_FFFFL, "java-client/0.1 ☕");
            case HELLO_OK -> new HelloOkFrame(1, 1, 1_114_112, "broker-1",
                    List.of("PLAIN", "SCRAM-SHA-256", "JWT", "EXTERNAL"), 30_000);
            case AUTH -> new AuthFrame(2, "PLAIN", Bytes.utf8("\0alice\0s3cret-password"));
            case AUTH_CHALLENGE -> new AuthChallengeFrame(2, Bytes.utf8("r=nonce,s=salt,i=4096"));
            case AUTH_RESPONSE -> new AuthResponseFrame(2, Bytes.utf8("c=biws,r=nonce,p=proof"));
            case AUTH_OK -> new AuthOkFrame(2, "alice", 1_900_000_000_000L, Bytes.utf8("v=sig"));
            case PUBLISH -> new PublishFrame(3, "orders", List.of(
                    new PublishMessage("producer-7", 42, 60_000, HEADERS,
                            Bytes.utf8("{\"id\":1}"), Bytes.copyOf(new byte[64])),
                    PublishMessage.of(Bytes.EMPTY),
                    new PublishMessage("", -1L, 0, Headers.EMPTY, Bytes.utf8("x"), Bytes.EMPTY)));
            case PUBLISH_OK -> new PublishOkFrame(3, List.of(
                    new PublishResult(100, false, Bytes.EMPTY),
                    new PublishResult(-2L, true, Bytes.copyOf(new byte[] {9, 8, 7}))));
            case SUBSCRIBE -> new SubscribeFrame(4, "orders", "billing", 0xFFFF_FFFFL);
            case SUBSCRIBE_OK -> new SubscribeOkFrame(4, 0x8000_0001);
            case UNSUBSCRIBE -> new UnsubscribeFrame(5, 17);
            case CREDIT -> new CreditFrame(6, 17, 128);
            case DELIVER -> new DeliverFrame(17, "orders", 100, 2, 1_700_000_000_123L, "alice",
                    "producer-7", 42, HEADERS, Bytes.utf8("{\"id\":1}"), Bytes.copyOf(new byte[64]),
                    Bytes.EMPTY);
            case ACK -> new AckFrame(7, 17, new long[] {100, 101, Long.MIN_VALUE, -1L});
            case NACK -> new NackFrame(8, 17, 102, 5_000);
            case CREATE_QUEUE -> new CreateQueueFrame(9, "orders", 5, "orders.dlq", 86_400_000, true);
            case DELETE_QUEUE -> new DeleteQueueFrame(10, "orders");
            case LIST_QUEUES -> new ListQueuesFrame(11);
            case RELOAD -> new ReloadFrame(12);
            case QUEUE_LIST -> new QueueListFrame(11, List.of(
                    new QueueInfo("orders", 12, 2, 5, "orders.dlq", 86_400_000),
                    new QueueInfo("orders.dlq", 0, 0, 0, "", 0)));
            case OK -> new OkFrame(12);
            case ERROR -> new ErrorFrame(13, ErrorCode.QUEUE_NOT_FOUND, "queue 'x' not found");
            case CANCEL -> new CancelFrame(17, ErrorCode.NOT_AUTHORIZED, "no longer allowed to consume from 'orders'");
            case REJECT -> new RejectFrame(14, 17, 103, "schema v1 is no longer understood ✗");
            case LIST_SUBSCRIPTIONS -> new ListSubscriptionsFrame(15, "orders");
            case SUBSCRIPTION_LIST -> new SubscriptionListFrame(15, List.of(
                    new SubscriptionInfo("billing", 2, 12, 3, 100, 1_700_000_000_000L, 0),
                    new SubscriptionInfo("audit", 0, 0, 0, 112, 0, 1_700_604_800_000L)));
            case DELETE_SUBSCRIPTION -> new DeleteSubscriptionFrame(16, "orders", "billing");
            case PURGE_QUEUE -> new PurgeQueueFrame(17, "orders");
            case PURGE_OK -> new PurgeOkFrame(17, 12);
            case BROWSE -> new BrowseFrame(18, "orders", 100, 1000, 0xFFFF_FFFFL);
            case BROWSE_RESULT -> new BrowseResultFrame(18, 102, List.of(
                    new BrowsedMessage(100, 1_700_000_000_123L, "alice", "producer-7", 42, HEADERS,
                            Bytes.utf8("{\"id\":1}"), Bytes.copyOf(new byte[64]), Bytes.copyOf(new byte[96])),
                    new BrowsedMessage(101, 1_700_000_000_124L, "bob", "", -1L, Headers.EMPTY,
                            Bytes.EMPTY, Bytes.EMPTY, Bytes.EMPTY)));
            case SEEK -> new SeekFrame(19, "orders", "billing", SeekFrame.Kind.TIME, 1_700_000_000_000L);
            case SEEK_OK -> new SeekOkFrame(19, 100);
            case PING -> new PingFrame(0, 0x0102_0304_0506_0708L);
            case PONG -> new PongFrame(0, -1L);
            case CLOSE -> CloseFrame.normal("bye");
        };
    }

    /** The samples of the types a session of {@code version} knows. */
    static List<Frame> allOf(int version) {
        List<Frame> frames = new ArrayList<>();
        for (FrameType type : FrameType.values()) {
            if (type.validIn(version)) {
                frames.add(sample(type));
            }
        }
        return frames;
    }

    static List<Frame> all() {
        List<Frame> frames = new ArrayList<>();
        for (FrameType type : FrameType.values()) {
            frames.add(sample(type));
        }
        return frames;
    }

    /** The complete encoding of {@code frame}, including its length prefix. */
    static byte[] encode(Frame frame) {
        ByteBuf buf = Unpooled.buffer();
        try {
            FrameCodec.encode(frame, buf);
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** The concatenated encodings of {@code frames}. */
    static byte[] encodeAll(List<? extends Frame> frames) {
        ByteBuf buf = Unpooled.buffer();
        try {
            for (Frame frame : frames) {
                FrameCodec.encode(frame, buf);
            }
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** Decodes a complete frame encoding (length prefix included) with {@link FrameCodec}. */
    static Frame decodeWithPrefix(byte[] encoded) {
        ByteBuf buf = Unpooled.wrappedBuffer(encoded);
        buf.skipBytes(FrameCodec.LENGTH_FIELD_SIZE);
        return FrameCodec.decode(buf);
    }

    /** Builds a raw frame from a type code, flags, correlation id and body bytes. */
    static byte[] rawFrame(int typeCode, int flags, int correlationId, byte[] body) {
        ByteBuf buf = Unpooled.buffer();
        buf.writeInt(FrameCodec.FIXED_HEADER_SIZE + body.length);
        buf.writeByte(typeCode);
        buf.writeByte(flags);
        buf.writeInt(correlationId);
        buf.writeBytes(body);
        return ByteBufUtil.getBytes(buf);
    }

    static byte[] hex(String hex) {
        return ByteBufUtil.decodeHexDump(hex.replace(" ", ""));
    }
}
