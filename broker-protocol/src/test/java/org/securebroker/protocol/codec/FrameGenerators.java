package org.securebroker.protocol.codec;

import org.securebroker.testing.Gen;

import java.nio.charset.StandardCharsets;
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

/** Generators of arbitrary valid frames, small enough that most fit a 4 KiB frame limit. */
final class FrameGenerators {

    private static final Gen<Integer> ID = Gen.anyInt();
    private static final Gen<Long> LONG = Gen.anyLong();
    private static final Gen<Integer> U16 = Gen.ints(0, 0xFFFF);
    private static final Gen<Long> U32 = Gen.longs(0, 0xFFFF_FFFFL);
    private static final Gen<Long> NON_NEGATIVE = Gen.longs(0, Long.MAX_VALUE);

    private FrameGenerators() {
    }

    /** Any frame of any type; every type is reachable (the switch below is exhaustive). */
    static Gen<Frame> frames() {
        Gen<FrameType> types = Gen.elements(FrameType.values());
        return random -> frame(types.next(random)).next(random);
    }

    /** Complete encodings (length prefix included) of arbitrary frames. */
    static Gen<byte[]> encodedFrames() {
        return frames().map(SampleFrames::encode);
    }

    static Gen<Frame> frame(FrameType type) {
        Gen<String> text = text();
        Gen<Bytes> bytes = bytes();
        return switch (type) {
            case HELLO -> r -> new HelloFrame(ID.next(r), U16.next(r), U16.next(r), U32.next(r),
                    text.next(r));
            case HELLO_OK -> r -> new HelloOkFrame(ID.next(r), U16.next(r), U32.next(r),
                    text.next(r), text.list(0, 4).next(r), U32.next(r));
            case AUTH -> r -> new AuthFrame(ID.next(r), text.next(r), bytes.next(r));
            case AUTH_CHALLENGE -> r -> new AuthChallengeFrame(ID.next(r), bytes.next(r));
            case AUTH_RESPONSE -> r -> new AuthResponseFrame(ID.next(r), bytes.next(r));
            case AUTH_OK -> r -> new AuthOkFrame(ID.next(r), text.next(r), LONG.next(r),
                    bytes.next(r));
            case PUBLISH -> r -> new PublishFrame(ID.next(r), text.next(r),
                    message().list(1, 3).next(r));
            case PUBLISH_OK -> r -> new PublishOkFrame(ID.next(r),
                    publishResult().list(0, 5).next(r));
            case SUBSCRIBE -> r -> new SubscribeFrame(ID.next(r), text.next(r), text.next(r),
                    U32.next(r));
            case SUBSCRIBE_OK -> r -> new SubscribeOkFrame(ID.next(r), ID.next(r));
            case UNSUBSCRIBE -> r -> new UnsubscribeFrame(ID.next(r), ID.next(r));
            case CREDIT -> r -> new CreditFrame(ID.next(r), ID.next(r), U32.next(r));
            case DELIVER -> r -> new DeliverFrame(ID.next(r), text.next(r), LONG.next(r),
                    Gen.longs(1, 0xFFFF_FFFFL).next(r), LONG.next(r), text.next(r), text.next(r),
                    LONG.next(r), headers().next(r), bytes.next(r), bytes.next(r), bytes.next(r));
            case ACK -> r -> new AckFrame(ID.next(r), ID.next(r),
                    LONG.list(1, 40).next(r).stream().mapToLong(Long::longValue).toArray());
            case NACK -> r -> new NackFrame(ID.next(r), ID.next(r), LONG.next(r),
                    NON_NEGATIVE.next(r));
            case CREATE_QUEUE -> r -> new CreateQueueFrame(ID.next(r), text.next(r), U32.next(r),
                    text.next(r), NON_NEGATIVE.next(r), r.nextBoolean());
            case DELETE_QUEUE -> r -> new DeleteQueueFrame(ID.next(r), text.next(r));
            case LIST_QUEUES -> r -> new ListQueuesFrame(ID.next(r));
            case RELOAD -> r -> new ReloadFrame(ID.next(r));
            case QUEUE_LIST -> r -> new QueueListFrame(ID.next(r), queueInfo().list(0, 4).next(r));
            case OK -> r -> new OkFrame(ID.next(r));
            case ERROR -> r -> new ErrorFrame(ID.next(r), U16.next(r), text.next(r));
            case CANCEL -> r -> new CancelFrame(0, ID.next(r), U16.next(r), text.next(r));
            case REJECT -> r -> new RejectFrame(ID.next(r), ID.next(r), LONG.next(r), text.next(r));
            case LIST_SUBSCRIPTIONS -> r -> new ListSubscriptionsFrame(ID.next(r), text.next(r), text.next(r));
            case SUBSCRIPTION_LIST -> r -> new SubscriptionListFrame(ID.next(r),
                    subscriptionInfo().list(0, 4).next(r), r.nextBoolean());
            case DELETE_SUBSCRIPTION -> r -> new DeleteSubscriptionFrame(ID.next(r), text.next(r),
                    text.next(r));
            case PURGE_QUEUE -> r -> new PurgeQueueFrame(ID.next(r), text.next(r));
            case PURGE_OK -> r -> new PurgeOkFrame(ID.next(r), LONG.next(r));
            case BROWSE -> r -> new BrowseFrame(ID.next(r), text.next(r), LONG.next(r),
                    Gen.ints(1, 1000).next(r), Gen.longs(1, 0xFFFF_FFFFL).next(r));
            case BROWSE_RESULT -> r -> new BrowseResultFrame(ID.next(r), LONG.next(r),
                    browsedMessage().list(0, 3).next(r));
            case SEEK -> r -> new SeekFrame(ID.next(r), text.next(r), text.next(r),
                    Gen.elements(SeekFrame.Kind.values()).next(r), LONG.next(r));
            case SEEK_OK -> r -> new SeekOkFrame(ID.next(r), LONG.next(r));
            case PING -> r -> new PingFrame(ID.next(r), LONG.next(r));
            case PONG -> r -> new PongFrame(ID.next(r), LONG.next(r));
            case CLOSE -> r -> new CloseFrame(ID.next(r), U16.next(r), text.next(r));
        };
    }

    private static Gen<PublishMessage> message() {
        return r -> new PublishMessage(text().next(r), LONG.next(r), NON_NEGATIVE.next(r),
                headers().next(r), bytes().next(r), bytes().next(r));
    }

    private static Gen<PublishResult> publishResult() {
        return r -> new PublishResult(LONG.next(r), r.nextBoolean(), bytes().next(r));
    }

    private static Gen<QueueInfo> queueInfo() {
        return r -> new QueueInfo(text().next(r), LONG.next(r), U32.next(r), U32.next(r),
                text().next(r), NON_NEGATIVE.next(r));
    }

    private static Gen<SubscriptionInfo> subscriptionInfo() {
        return r -> new SubscriptionInfo(text().next(r), U32.next(r), LONG.next(r), U32.next(r),
                LONG.next(r), NON_NEGATIVE.next(r), NON_NEGATIVE.next(r));
    }

    private static Gen<BrowsedMessage> browsedMessage() {
        return r -> new BrowsedMessage(LONG.next(r), LONG.next(r), text().next(r), text().next(r),
                LONG.next(r), headers().next(r), bytes().next(r), bytes().next(r), bytes().next(r));
    }

    /** Headers with unique keys (a generated duplicate key is skipped). */
    static Gen<Headers> headers() {
        Gen<Integer> count = Gen.sizes(0, 4);
        return r -> {
            Headers.Builder builder = Headers.builder();
            int n = count.next(r);
            for (int i = 0; i < n; i++) {
                String key = text().next(r);
                if (!builder.contains(key)) {
                    builder.add(key, bytes().next(r));
                }
            }
            return builder.build();
        };
    }

    /** Strings mixing ASCII, other BMP text and supplementary characters; never an unpaired surrogate. */
    static Gen<String> text() {
        Gen<Integer> ascii = Gen.ints(0x20, 0x7E);
        Gen<Integer> bmp = Gen.oneOf(Gen.ints(0x00, 0xD7FF), Gen.ints(0xE000, 0xFFFF));
        Gen<Integer> supplementary = Gen.ints(0x10000, 0x10FFFF);
        Gen<Integer> codePoint = r -> switch (r.nextInt(9)) {
            case 0, 1 -> bmp.next(r);
            case 2 -> supplementary.next(r);
            default -> ascii.next(r);
        };
        Gen<Integer> length = Gen.sizes(0, 12);
        return r -> {
            int n = length.next(r);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                sb.appendCodePoint(codePoint.next(r));
            }
            return sb.toString();
        };
    }

    static Gen<Bytes> bytes() {
        return Gen.byteArrays(40).map(Bytes::copyOf);
    }

    static Gen<byte[]> utf8Text() {
        return text().map(s -> s.getBytes(StandardCharsets.UTF_8));
    }
}
