package org.securebroker.protocol.codec;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.ProtocolException;
import org.securebroker.protocol.ProtocolLimits;
import org.securebroker.protocol.ProtocolVersion;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.AuthChallengeFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.AuthResponseFrame;
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

/**
 * Encodes and decodes frames of protocol versions 1 and 2. All integers are big-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                    length (u32) = 6 + body                    |
 * +---------------+---------------+-------------------------------+
 * |  type (u8)    |  flags (u8)=0 |    correlationId (u32) ...    |
 * +---------------+---------------+-------------------------------+
 * |   ... correlationId           |    body (type-specific) ...   |
 * +-------------------------------+-------------------------------+
 * </pre>
 *
 * <p>Body primitives: {@code string} = u16 length + UTF-8; {@code bytes} = u32 length + raw;
 * {@code headers} = u16 count + count x (string key, bytes value); {@code bool} = u8 0/1.
 * Every body is consumed exactly. The per-type layouts are on the frame records and in
 * {@code docs/protocol.md}.
 *
 * <p>A type code belongs to the version that introduced it: decoding for a session of an
 * earlier version rejects it with UNKNOWN_FRAME_TYPE, as an unassigned code.
 *
 * <p>Decoding never throws anything but {@link ProtocolException} for any input, and checks
 * every length and count against the remaining bytes before allocating. Encoding validates what
 * the records cannot (UTF-8 string lengths, total frame size) and throws
 * {@link IllegalArgumentException}, leaving the output buffer's writer index unchanged.
 *
 * <p>Thread-safety: stateless; all methods are safe to call from any thread.
 */
public final class FrameCodec {

    /** Size of the u32 length field that precedes every frame. */
    public static final int LENGTH_FIELD_SIZE = 4;
    /**
     * Bytes counted by the length field before the body: type (1), flags (1), correlation id
     * (4). It is also the smallest valid length.
     */
    public static final int FIXED_HEADER_SIZE = 6;

    private static final int DEFAULT_SIZE_HINT = 256;
    private static final int MIN_PUBLISH_MESSAGE_BYTES = 1 + 2 + 8 + 8 + 2 + 4 + 4;
    private static final int MIN_PUBLISH_RESULT_BYTES = 8 + 1 + 4;
    private static final int MIN_QUEUE_INFO_BYTES = 2 + 8 + 4 + 4 + 2 + 8;
    private static final int MIN_SUBSCRIPTION_INFO_BYTES = 2 + 4 + 8 + 4 + 8 + 8 + 8;
    private static final int MIN_BROWSED_MESSAGE_BYTES = 8 + 8 + 2 + 2 + 8 + 2 + 4 + 4 + 4;
    private static final int MIN_STRING_BYTES = 2;
    private static final int OFFSET_BYTES = 8;

    private FrameCodec() {
    }

    /**
     * Writes {@code frame}, including its length prefix, to {@code out}.
     *
     * @throws IllegalArgumentException if a field exceeds its wire limit (a string longer than
     *     65535 UTF-8 bytes or with an unpaired surrogate) or the frame would exceed
     *     {@link ProtocolLimits#ABSOLUTE_MAX_FRAME_SIZE}; {@code out} is then unchanged
     */
    public static void encode(Frame frame, ByteBuf out) {
        Objects.requireNonNull(frame, "frame");
        long lowerBound = encodedSizeLowerBound(frame);
        if (lowerBound > LENGTH_FIELD_SIZE + (long) ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE) {
            throw tooLarge(frame.type(), lowerBound - LENGTH_FIELD_SIZE);
        }
        int start = out.writerIndex();
        try {
            out.writeInt(0);
            out.writeByte(frame.type().code());
            out.writeByte(0);
            out.writeInt(frame.correlationId());
            encodeBody(frame, out);
            int length = out.writerIndex() - start - LENGTH_FIELD_SIZE;
            if (length > ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE) {
                throw tooLarge(frame.type(), length);
            }
            out.setInt(start, length);
        } catch (RuntimeException e) {
            out.writerIndex(start);
            throw e;
        }
    }

    /**
     * Decodes one frame of any version this implementation speaks ({@link ProtocolVersion#MAX}).
     *
     * @see #decode(ByteBuf, int)
     */
    public static Frame decode(ByteBuf frame) {
        return decode(frame, ProtocolVersion.MAX);
    }

    /**
     * Decodes one frame of a session that negotiated {@code version} from the bytes that follow
     * its length field: {@code frame}'s readable bytes must be exactly the frame (type, flags,
     * correlation id, body), all of which are consumed.
     *
     * @throws ProtocolException UNKNOWN_FRAME_TYPE for a type code not assigned in
     *     {@code version} (unassigned, or introduced by a later version), PROTOCOL_ERROR for
     *     anything else that violates the wire format (non-zero flags, truncated or trailing
     *     bytes, invalid UTF-8, out-of-range values)
     * @throws IllegalArgumentException if {@code version} is not one this implementation speaks
     */
    public static Frame decode(ByteBuf frame, int version) {
        ProtocolVersion.requireSupported(version);
        if (frame.readableBytes() < FIXED_HEADER_SIZE) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "frame of "
                    + frame.readableBytes() + " bytes is shorter than the " + FIXED_HEADER_SIZE
                    + "-byte header");
        }
        int code = frame.readUnsignedByte();
        FrameType type = FrameType.fromCode(code).orElse(null);
        if (type == null) {
            throw new ProtocolException(ErrorCode.UNKNOWN_FRAME_TYPE,
                    "unknown frame type 0x" + hexByte(code));
        }
        if (!type.validIn(version)) {
            throw new ProtocolException(ErrorCode.UNKNOWN_FRAME_TYPE, "unknown frame type 0x"
                    + hexByte(code) + " in protocol version " + version + " (" + type.name()
                    + " needs version " + type.since() + ")");
        }
        BodyReader reader = new BodyReader(frame, type);
        reader.reservedZero("frame flags");
        int correlationId = frame.readInt();
        Frame decoded;
        try {
            decoded = decodeBody(type, correlationId, reader);
        } catch (IllegalArgumentException e) {
            // A record rejected a decoded value (for example a negative TTL).
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                    type.name() + ": " + e.getMessage(), e);
        }
        reader.expectEnd();
        return decoded;
    }

    /**
     * An initial buffer capacity for encoding {@code frame}: exact for ASCII-only PUBLISH,
     * DELIVER and BROWSE_RESULT frames, a small default otherwise, never above the absolute frame limit.
     */
    static int sizeHint(Frame frame) {
        long estimate = Math.max(encodedSizeLowerBound(frame), DEFAULT_SIZE_HINT);
        return (int) Math.min(estimate, LENGTH_FIELD_SIZE + (long) ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE);
    }

    private static void encodeBody(Frame frame, ByteBuf out) {
        switch (frame.type()) {
            case HELLO -> {
                HelloFrame f = (HelloFrame) frame;
                out.writeInt(HelloFrame.MAGIC);
                out.writeShort(f.minVersion());
                out.writeShort(f.maxVersion());
                BodyWriter.u32(out, f.maxFrameSize());
                BodyWriter.string(out, f.clientId(), "clientId");
            }
            case HELLO_OK -> {
                HelloOkFrame f = (HelloOkFrame) frame;
                out.writeShort(f.version());
                BodyWriter.u32(out, f.maxFrameSize());
                BodyWriter.string(out, f.serverId(), "serverId");
                List<String> mechanisms = f.authMechanisms();
                out.writeShort(mechanisms.size());
                for (int i = 0; i < mechanisms.size(); i++) {
                    BodyWriter.string(out, mechanisms.get(i), "authMechanism");
                }
                BodyWriter.u32(out, f.authTimeoutMillis());
            }
            case AUTH -> {
                AuthFrame f = (AuthFrame) frame;
                BodyWriter.string(out, f.mechanism(), "mechanism");
                BodyWriter.bytes(out, f.initialResponse());
            }
            case AUTH_CHALLENGE -> BodyWriter.bytes(out, ((AuthChallengeFrame) frame).challenge());
            case AUTH_RESPONSE -> BodyWriter.bytes(out, ((AuthResponseFrame) frame).response());
            case AUTH_OK -> {
                AuthOkFrame f = (AuthOkFrame) frame;
                BodyWriter.string(out, f.principal(), "principal");
                out.writeLong(f.sessionExpiresAtMillis());
                BodyWriter.bytes(out, f.additionalData());
            }
            case PUBLISH -> {
                PublishFrame f = (PublishFrame) frame;
                BodyWriter.string(out, f.queue(), "queue");
                List<PublishMessage> messages = f.messages();
                out.writeShort(messages.size());
                for (int i = 0; i < messages.size(); i++) {
                    encodeMessage(messages.get(i), out);
                }
            }
            case PUBLISH_OK -> {
                List<PublishResult> results = ((PublishOkFrame) frame).results();
                out.writeShort(results.size());
                for (int i = 0; i < results.size(); i++) {
                    PublishResult r = results.get(i);
                    out.writeLong(r.offset());
                    BodyWriter.bool(out, r.duplicate());
                    BodyWriter.bytes(out, r.receipt());
                }
            }
            case SUBSCRIBE -> {
                SubscribeFrame f = (SubscribeFrame) frame;
                BodyWriter.string(out, f.queue(), "queue");
                BodyWriter.string(out, f.subscription(), "subscription");
                BodyWriter.u32(out, f.initialCredit());
            }
            case SUBSCRIBE_OK -> out.writeInt(((SubscribeOkFrame) frame).consumerId());
            case UNSUBSCRIBE -> out.writeInt(((UnsubscribeFrame) frame).consumerId());
            case CREDIT -> {
                CreditFrame f = (CreditFrame) frame;
                out.writeInt(f.consumerId());
                BodyWriter.u32(out, f.credit());
            }
            case DELIVER -> encodeDeliver((DeliverFrame) frame, out);
            case ACK -> {
                AckFrame f = (AckFrame) frame;
                out.writeInt(f.consumerId());
                int count = f.count();
                out.writeShort(count);
                for (int i = 0; i < count; i++) {
                    out.writeLong(f.offsetAt(i));
                }
            }
            case NACK -> {
                NackFrame f = (NackFrame) frame;
                out.writeInt(f.consumerId());
                out.writeLong(f.offset());
                out.writeLong(f.delayMillis());
            }
            case CREATE_QUEUE -> {
                CreateQueueFrame f = (CreateQueueFrame) frame;
                BodyWriter.string(out, f.queue(), "queue");
                BodyWriter.u32(out, f.maxDeliveries());
                BodyWriter.string(out, f.deadLetterQueue(), "deadLetterQueue");
                out.writeLong(f.defaultTtlMillis());
                out.writeBoolean(f.requireProducerSignatures());
            }
            case DELETE_QUEUE -> BodyWriter.string(out, ((DeleteQueueFrame) frame).queue(), "queue");
            case LIST_QUEUES, RELOAD, OK -> {
                // empty body
            }
            case QUEUE_LIST -> {
                List<QueueInfo> queues = ((QueueListFrame) frame).queues();
                out.writeInt(queues.size());
                for (int i = 0; i < queues.size(); i++) {
                    QueueInfo q = queues.get(i);
                    BodyWriter.string(out, q.name(), "name");
                    out.writeLong(q.messages());
                    BodyWriter.u32(out, q.subscriptions());
                    BodyWriter.u32(out, q.maxDeliveries());
                    BodyWriter.string(out, q.deadLetterQueue(), "deadLetterQueue");
                    out.writeLong(q.defaultTtlMillis());
                }
            }
            case ERROR -> {
                ErrorFrame f = (ErrorFrame) frame;
                out.writeShort(f.code());
                BodyWriter.string(out, f.message(), "message");
            }
            case CANCEL -> {
                CancelFrame f = (CancelFrame) frame;
                out.writeInt(f.consumerId());
                out.writeShort(f.code());
                BodyWriter.string(out, f.message(), "message");
            }
            case REJECT -> {
                RejectFrame f = (RejectFrame) frame;
                out.writeInt(f.consumerId());
                out.writeLong(f.offset());
                BodyWriter.string(out, f.reason(), "reason");
            }
            case LIST_SUBSCRIPTIONS -> {
                ListSubscriptionsFrame f = (ListSubscriptionsFrame) frame;
                BodyWriter.string(out, f.queue(), "queue");
                BodyWriter.string(out, f.after(), "after");
            }
            case SUBSCRIPTION_LIST -> {
                SubscriptionListFrame f = (SubscriptionListFrame) frame;
                List<SubscriptionInfo> subscriptions = f.subscriptions();
                out.writeInt(subscriptions.size());
                for (int i = 0; i < subscriptions.size(); i++) {
                    SubscriptionInfo s = subscriptions.get(i);
                    BodyWriter.string(out, s.name(), "name");
                    BodyWriter.u32(out, s.consumers());
                    out.writeLong(s.pending());
                    BodyWriter.u32(out, s.inFlight());
                    out.writeLong(s.cursor());
                    out.writeLong(s.lastActiveMillis());
                    out.writeLong(s.expiresAtMillis());
                }
                BodyWriter.bool(out, f.more());
            }
            case DELETE_SUBSCRIPTION -> {
                DeleteSubscriptionFrame f = (DeleteSubscriptionFrame) frame;
                BodyWriter.string(out, f.queue(), "queue");
                BodyWriter.string(out, f.subscription(), "subscription");
            }
            case PURGE_QUEUE -> BodyWriter.string(out, ((PurgeQueueFrame) frame).queue(), "queue");
            case PURGE_OK -> out.writeLong(((PurgeOkFrame) frame).purged());
            case BROWSE -> {
                BrowseFrame f = (BrowseFrame) frame;
                BodyWriter.string(out, f.queue(), "queue");
                out.writeLong(f.fromOffset());
                out.writeShort(f.maxMessages());
                BodyWriter.u32(out, f.maxBytes());
            }
            case BROWSE_RESULT -> {
                BrowseResultFrame f = (BrowseResultFrame) frame;
                out.writeLong(f.nextOffset());
                List<BrowsedMessage> messages = f.messages();
                out.writeShort(messages.size());
                for (int i = 0; i < messages.size(); i++) {
                    encodeBrowsed(messages.get(i), out);
                }
            }
            case SEEK -> {
                SeekFrame f = (SeekFrame) frame;
                BodyWriter.string(out, f.queue(), "queue");
                BodyWriter.string(out, f.subscription(), "subscription");
                out.writeByte(f.kind().code());
                out.writeLong(f.value());
            }
            case SEEK_OK -> out.writeLong(((SeekOkFrame) frame).offset());
            case PING -> out.writeLong(((PingFrame) frame).payload());
            case PONG -> out.writeLong(((PongFrame) frame).payload());
            case CLOSE -> {
                CloseFrame f = (CloseFrame) frame;
                out.writeShort(f.code());
                BodyWriter.string(out, f.reason(), "reason");
            }
            default -> throw new IllegalStateException("no encoder for " + frame.type());
        }
    }

    private static void encodeMessage(PublishMessage m, ByteBuf out) {
        out.writeByte(0);
        BodyWriter.string(out, m.producerId(), "producerId");
        out.writeLong(m.sequence());
        out.writeLong(m.ttlMillis());
        BodyWriter.headers(out, m.headers());
        BodyWriter.bytes(out, m.payload());
        BodyWriter.bytes(out, m.producerSignature());
    }

    private static void encodeDeliver(DeliverFrame f, ByteBuf out) {
        out.writeInt(f.consumerId());
        BodyWriter.string(out, f.queue(), "queue");
        out.writeLong(f.offset());
        BodyWriter.u32(out, f.deliveryCount());
        out.writeLong(f.brokerTimestampMillis());
        BodyWriter.string(out, f.producerPrincipal(), "producerPrincipal");
        BodyWriter.string(out, f.producerId(), "producerId");
        out.writeLong(f.sequence());
        BodyWriter.headers(out, f.headers());
        BodyWriter.bytes(out, f.payload());
        BodyWriter.bytes(out, f.producerSignature());
        BodyWriter.bytes(out, f.brokerSignature());
    }

    private static void encodeBrowsed(BrowsedMessage m, ByteBuf out) {
        out.writeLong(m.offset());
        out.writeLong(m.brokerTimestampMillis());
        BodyWriter.string(out, m.producerPrincipal(), "producerPrincipal");
        BodyWriter.string(out, m.producerId(), "producerId");
        out.writeLong(m.sequence());
        BodyWriter.headers(out, m.headers());
        BodyWriter.bytes(out, m.payload());
        BodyWriter.bytes(out, m.producerSignature());
        BodyWriter.bytes(out, m.brokerSignature());
    }

    private static Frame decodeBody(FrameType type, int correlationId, BodyReader r) {
        switch (type) {
            case HELLO: {
                long magic = r.u32("magic");
                if (magic != Integer.toUnsignedLong(HelloFrame.MAGIC)) {
                    throw r.fail("bad magic 0x" + Long.toHexString(magic) + ", expected 0x"
                            + Integer.toHexString(HelloFrame.MAGIC));
                }
                return new HelloFrame(correlationId, r.u16("minVersion"), r.u16("maxVersion"),
                        r.u32("maxFrameSize"), r.string("clientId"));
            }
            case HELLO_OK: {
                int version = r.u16("version");
                long maxFrameSize = r.u32("maxFrameSize");
                String serverId = r.string("serverId");
                int count = r.count16("authMechanisms", 0, 0xFFFF, MIN_STRING_BYTES);
                List<String> mechanisms = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    mechanisms.add(r.string("authMechanism"));
                }
                return new HelloOkFrame(correlationId, version, maxFrameSize, serverId,
                        mechanisms, r.u32("authTimeoutMillis"));
            }
            case AUTH:
                return new AuthFrame(correlationId, r.string("mechanism"),
                        r.bytes("initialResponse"));
            case AUTH_CHALLENGE:
                return new AuthChallengeFrame(correlationId, r.bytes("challenge"));
            case AUTH_RESPONSE:
                return new AuthResponseFrame(correlationId, r.bytes("response"));
            case AUTH_OK:
                return new AuthOkFrame(correlationId, r.string("principal"),
                        r.i64("sessionExpiresAtMillis"), r.bytes("additionalData"));
            case PUBLISH: {
                String queue = r.string("queue");
                int count = r.count16("messages", 1, ProtocolLimits.MAX_PUBLISH_MESSAGES,
                        MIN_PUBLISH_MESSAGE_BYTES);
                List<PublishMessage> messages = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    messages.add(decodeMessage(r));
                }
                return new PublishFrame(correlationId, queue, messages);
            }
            case PUBLISH_OK: {
                int count = r.count16("results", 0, 0xFFFF, MIN_PUBLISH_RESULT_BYTES);
                List<PublishResult> results = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    results.add(new PublishResult(r.i64("offset"), r.bool("duplicate"),
                            r.bytes("receipt")));
                }
                return new PublishOkFrame(correlationId, results);
            }
            case SUBSCRIBE:
                return new SubscribeFrame(correlationId, r.string("queue"),
                        r.string("subscription"), r.u32("initialCredit"));
            case SUBSCRIBE_OK:
                return new SubscribeOkFrame(correlationId, r.u32Id("consumerId"));
            case UNSUBSCRIBE:
                return new UnsubscribeFrame(correlationId, r.u32Id("consumerId"));
            case CREDIT:
                return new CreditFrame(correlationId, r.u32Id("consumerId"), r.u32("credit"));
            case DELIVER:
                if (correlationId != 0) {
                    throw r.fail("correlation id must be 0, got " + Integer.toUnsignedString(correlationId));
                }
                return decodeDeliver(r);
            case ACK: {
                int consumerId = r.u32Id("consumerId");
                int count = r.count16("offsets", 1, ProtocolLimits.MAX_ACK_OFFSETS, OFFSET_BYTES);
                long[] offsets = new long[count];
                for (int i = 0; i < count; i++) {
                    offsets[i] = r.i64("offset");
                }
                return new AckFrame(correlationId, consumerId, offsets);
            }
            case NACK:
                return new NackFrame(correlationId, r.u32Id("consumerId"), r.i64("offset"),
                        r.i64("delayMillis"));
            case CREATE_QUEUE:
                return new CreateQueueFrame(correlationId, r.string("queue"),
                        r.u32("maxDeliveries"), r.string("deadLetterQueue"),
                        r.i64("defaultTtlMillis"), r.bool("requireProducerSignatures"));
            case DELETE_QUEUE:
                return new DeleteQueueFrame(correlationId, r.string("queue"));
            case LIST_QUEUES:
                return new ListQueuesFrame(correlationId);
            case RELOAD:
                return new ReloadFrame(correlationId);
            case QUEUE_LIST: {
                int count = r.count32("queues", MIN_QUEUE_INFO_BYTES);
                List<QueueInfo> queues = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    queues.add(new QueueInfo(r.string("name"), r.i64("messages"),
                            r.u32("subscriptions"), r.u32("maxDeliveries"),
                            r.string("deadLetterQueue"), r.i64("defaultTtlMillis")));
                }
                return new QueueListFrame(correlationId, queues);
            }
            case OK:
                return new OkFrame(correlationId);
            case ERROR:
                return new ErrorFrame(correlationId, r.u16("errorCode"), r.string("message"));
            case CANCEL:
                if (correlationId != 0) {
                    throw r.fail("correlation id must be 0, got " + Integer.toUnsignedString(correlationId));
                }
                return new CancelFrame(0, r.u32Id("consumerId"), r.u16("errorCode"), r.string("message"));
            case REJECT:
                return new RejectFrame(correlationId, r.u32Id("consumerId"), r.i64("offset"),
                        r.string("reason"));
            case LIST_SUBSCRIPTIONS:
                return new ListSubscriptionsFrame(correlationId, r.string("queue"), r.string("after"));
            case SUBSCRIPTION_LIST: {
                int count = r.count32("subscriptions", MIN_SUBSCRIPTION_INFO_BYTES);
                List<SubscriptionInfo> subscriptions = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    subscriptions.add(new SubscriptionInfo(r.string("name"), r.u32("consumers"),
                            r.i64("pending"), r.u32("inFlight"), r.i64("cursor"),
                            r.i64("lastActiveMillis"), r.i64("expiresAtMillis")));
                }
                return new SubscriptionListFrame(correlationId, subscriptions, r.bool("more"));
            }
            case DELETE_SUBSCRIPTION:
                return new DeleteSubscriptionFrame(correlationId, r.string("queue"),
                        r.string("subscription"));
            case PURGE_QUEUE:
                return new PurgeQueueFrame(correlationId, r.string("queue"));
            case PURGE_OK:
                return new PurgeOkFrame(correlationId, r.i64("purged"));
            case BROWSE:
                return new BrowseFrame(correlationId, r.string("queue"), r.i64("fromOffset"),
                        r.u16("maxMessages"), r.u32("maxBytes"));
            case BROWSE_RESULT: {
                long nextOffset = r.i64("nextOffset");
                int count = r.count16("messages", 0, ProtocolLimits.MAX_BROWSE_MESSAGES,
                        MIN_BROWSED_MESSAGE_BYTES);
                List<BrowsedMessage> messages = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    messages.add(new BrowsedMessage(r.i64("offset"), r.i64("brokerTimestampMillis"),
                            r.string("producerPrincipal"), r.string("producerId"), r.i64("sequence"),
                            r.headers(), r.bytes("payload"), r.bytes("producerSignature"),
                            r.bytes("brokerSignature")));
                }
                return new BrowseResultFrame(correlationId, nextOffset, messages);
            }
            case SEEK: {
                String queue = r.string("queue");
                String subscription = r.string("subscription");
                int kindCode = r.u8("kind");
                SeekFrame.Kind kind = SeekFrame.Kind.fromCode(kindCode).orElseThrow(
                        () -> r.fail("kind " + kindCode + " is neither 0 (offset) nor 1 (time)"));
                return new SeekFrame(correlationId, queue, subscription, kind, r.i64("value"));
            }
            case SEEK_OK:
                return new SeekOkFrame(correlationId, r.i64("offset"));
            case PING:
                return new PingFrame(correlationId, r.i64("payload"));
            case PONG:
                return new PongFrame(correlationId, r.i64("payload"));
            case CLOSE:
                return new CloseFrame(correlationId, r.u16("errorCode"), r.string("reason"));
            default:
                throw new IllegalStateException("no decoder for " + type);
        }
    }

    private static PublishMessage decodeMessage(BodyReader r) {
        r.reservedZero("message flags");
        return new PublishMessage(r.string("producerId"), r.i64("sequence"),
                r.i64("ttlMillis"), r.headers(), r.bytes("payload"),
                r.bytes("producerSignature"));
    }

    private static DeliverFrame decodeDeliver(BodyReader r) {
        return new DeliverFrame(r.u32Id("consumerId"), r.string("queue"), r.i64("offset"),
                r.u32("deliveryCount"), r.i64("brokerTimestampMillis"),
                r.string("producerPrincipal"), r.string("producerId"), r.i64("sequence"),
                r.headers(), r.bytes("payload"), r.bytes("producerSignature"),
                r.bytes("brokerSignature"));
    }

    /**
     * A lower bound of the encoded size including the length prefix (a string's char count
     * never exceeds its UTF-8 length). Only PUBLISH, DELIVER and BROWSE_RESULT, the frames that
     * carry large payloads, are measured; for other types this is just the fixed header.
     */
    private static long encodedSizeLowerBound(Frame frame) {
        long size = LENGTH_FIELD_SIZE + FIXED_HEADER_SIZE;
        switch (frame.type()) {
            case PUBLISH -> {
                PublishFrame f = (PublishFrame) frame;
                size += MIN_STRING_BYTES + f.queue().length() + 2;
                List<PublishMessage> messages = f.messages();
                for (int i = 0; i < messages.size(); i++) {
                    PublishMessage m = messages.get(i);
                    size += MIN_PUBLISH_MESSAGE_BYTES + m.producerId().length()
                            + m.payload().length() + m.producerSignature().length()
                            + headersSize(m.headers());
                }
            }
            case DELIVER -> {
                DeliverFrame f = (DeliverFrame) frame;
                size += 4 + MIN_STRING_BYTES + f.queue().length() + 8 + 4 + 8
                        + MIN_STRING_BYTES + f.producerPrincipal().length()
                        + MIN_STRING_BYTES + f.producerId().length() + 8
                        + 2 + headersSize(f.headers())
                        + 4 + f.payload().length()
                        + 4 + f.producerSignature().length()
                        + 4 + f.brokerSignature().length();
            }
            case BROWSE_RESULT -> {
                List<BrowsedMessage> messages = ((BrowseResultFrame) frame).messages();
                size += 8 + 2;
                for (int i = 0; i < messages.size(); i++) {
                    BrowsedMessage m = messages.get(i);
                    size += MIN_BROWSED_MESSAGE_BYTES + m.producerPrincipal().length()
                            + m.producerId().length() + headersSize(m.headers()) + m.payload().length()
                            + m.producerSignature().length() + m.brokerSignature().length();
                }
            }
            default -> {
                // fixed header only
            }
        }
        return size;
    }

    private static long headersSize(Headers headers) {
        long size = 0;
        for (int i = 0; i < headers.size(); i++) {
            size += MIN_STRING_BYTES + headers.keyAt(i).length() + 4 + headers.valueAt(i).length();
        }
        return size;
    }

    private static IllegalArgumentException tooLarge(FrameType type, long length) {
        return new IllegalArgumentException(type.name() + " frame of " + length
                + " bytes exceeds the absolute limit of " + ProtocolLimits.ABSOLUTE_MAX_FRAME_SIZE);
    }

    private static String hexByte(int value) {
        String hex = Integer.toHexString(value).toUpperCase(Locale.ROOT);
        return hex.length() == 1 ? "0" + hex : hex;
    }
}
