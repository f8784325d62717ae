package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.AckFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.CreateQueueFrame;
import org.securebroker.protocol.frame.DeleteSubscriptionFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.protocol.frame.SubscriptionInfo;
import org.securebroker.protocol.frame.SubscriptionListFrame;
import org.securebroker.protocol.frame.UnsubscribeFrame;
import org.securebroker.server.config.BrokerConfig;

/**
 * The subscription lifecycle over the wire against a real broker: an abandoned subscription no
 * longer pins a queue's disk once deleted or expired, a seek replays exactly from its position,
 * and a version-1 session knows none of the new frames.
 */
class SubscriptionLifecycleIT {

    private static final int PAYLOAD = 100_000;

    @TempDir
    Path dir;

    private TestBroker broker;
    private final List<RawConnection> connections = new ArrayList<>();
    private int correlation = 100;

    @AfterEach
    void stop() {
        connections.forEach(RawConnection::close);
        if (broker != null) {
            broker.close();
        }
    }

    /** 1 MiB segments, so a few MiB of messages spread over several; the idle expiry given. */
    private void start(Duration idleExpiry) throws Exception {
        broker = new TestBroker(dir.resolve("data"), c -> {
            BrokerConfig.StoreSettings s = c.store();
            BrokerConfig.Queues q = c.queues();
            return c.withStore(new BrokerConfig.StoreSettings(1 << 20, s.subscriptionSyncInterval(),
                    s.retentionMaxAge(), s.retentionMaxBytes()))
                    .withQueues(new BrokerConfig.Queues(q.autoCreate(), q.ackTimeout(), q.maxMessageBytes(),
                            q.dedupWindow(), q.depth(), q.define(), idleExpiry, Duration.ZERO));
        });
    }

    private RawConnection v2() throws Exception {
        RawConnection c = broker.raw();
        connections.add(c);
        c.loginVersion2("admin", broker.adminPassword());
        return c;
    }

    private int subscribe(RawConnection c, String queue, String subscription, long credit) throws Exception {
        c.send(new SubscribeFrame(correlation++, queue, subscription, credit));
        return c.expect(SubscribeOkFrame.class).consumerId();
    }

    /** Takes {@code n} deliveries, acknowledging each. */
    private List<DeliverFrame> consume(RawConnection c, int consumer, int n) throws Exception {
        List<DeliverFrame> out = new ArrayList<>();
        while (out.size() < n) {
            Object o = c.next();
            if (o instanceof DeliverFrame d) {
                out.add(d);
                c.send(new AckFrame(correlation++, consumer, new long[] {d.offset()}));
            }
        }
        return out;
    }

    private void unsubscribe(RawConnection c, int consumer) throws Exception {
        c.send(new UnsubscribeFrame(correlation++, consumer));
        Object o;
        do {
            o = c.next();
        } while (!(o instanceof OkFrame));
    }

    private List<SubscriptionInfo> list(RawConnection c, String queue) throws Exception {
        c.send(new ListSubscriptionsFrame(correlation++, queue));
        return c.expect(SubscriptionListFrame.class).subscriptions();
    }

    private long queueBytesOnDisk(String queue) throws Exception {
        Path logs = dir.resolve("data").resolve("store").resolve("logs").resolve(queue);
        assertThat(logs).isDirectory();
        try (Stream<Path> files = Files.walk(logs)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void shouldFreeTheDiskAnAbandonedSubscriptionPinnedOnceItIsDeleted() throws Exception {
        start(Duration.ofDays(7));
        RawConnection admin = v2();
        admin.send(new CreateQueueFrame(correlation++, "life", 0, "", 0));
        admin.expect(OkFrame.class);
        RawConnection abandoning = v2();
        int abandoned = subscribe(abandoning, "life", "abandoned", 0);
        unsubscribe(abandoning, abandoned);
        RawConnection producer = v2();
        for (int i = 0; i < 40; i++) {
            producer.send(new PublishFrame(correlation++, "life",
                    List.of(PublishMessage.of(Bytes.copyOf(new byte[PAYLOAD])))));
            producer.expect(PublishOkFrame.class);
        }
        RawConnection reader = v2();
        int keeper = subscribe(reader, "life", "keeper", 1000);
        consume(reader, keeper, 40);
        Thread.sleep(2000); // the release a second after the last acknowledgement: nothing may go
        long pinned = queueBytesOnDisk("life");
        assertThat(pinned).as("4 MB in 1 MiB segments, pinned").isGreaterThan(3_000_000);
        assertThat(list(admin, "life")).filteredOn(s -> s.name().equals("abandoned"))
                .singleElement().satisfies(s -> assertThat(s.pending()).isEqualTo(40));

        admin.send(new DeleteSubscriptionFrame(correlation++, "life", "abandoned"));
        admin.expect(OkFrame.class);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> queueBytesOnDisk("life") < pinned / 2);
        assertThat(list(admin, "life")).extracting(SubscriptionInfo::name).containsExactly("keeper");
        admin.send(new DeleteSubscriptionFrame(correlation++, "life", "abandoned"));
        assertThat(admin.expect(ErrorFrame.class).code()).isEqualTo(ErrorCode.SUBSCRIPTION_NOT_FOUND.code());
    }

    @Test
    void shouldFreeTheDiskOfAnAbandonedSubscriptionThatExpires() throws Exception {
        start(Duration.ofSeconds(3));
        RawConnection admin = v2();
        admin.send(new CreateQueueFrame(correlation++, "idle", 0, "", 0));
        admin.expect(OkFrame.class);
        RawConnection reader = v2();
        int keeper = subscribe(reader, "idle", "keeper", 1000); // stays attached: never expires
        int abandoned = subscribe(admin, "idle", "abandoned", 0);
        unsubscribe(admin, abandoned);
        for (int i = 0; i < 40; i++) {
            admin.send(new PublishFrame(correlation++, "idle", List.of(PublishMessage.of(Bytes.copyOf(new byte[PAYLOAD])))));
            admin.expect(PublishOkFrame.class);
        }
        consume(reader, keeper, 40);
        long full = queueBytesOnDisk("idle");
        assertThat(full).isGreaterThan(3_000_000);

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> queueBytesOnDisk("idle") < full / 2);
        assertThat(list(admin, "idle")).extracting(SubscriptionInfo::name).containsExactly("keeper");
    }

    @Test
    void shouldReplayExactlyTheMessagesFromTheOffsetSoughtWithTheirSeals() throws Exception {
        start(Duration.ofDays(7));
        RawConnection c = v2();
        c.send(new CreateQueueFrame(correlation++, "replay", 0, "", 0));
        c.expect(OkFrame.class);
        int holder = subscribe(c, "replay", "holder", 0); // keeps every record retained
        unsubscribe(c, holder);
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            c.send(new PublishFrame(correlation++, "replay", List.of(PublishMessage.of(Bytes.utf8("m" + i)))));
            offsets.add(c.expect(PublishOkFrame.class).results().get(0).offset());
        }
        int consumer = subscribe(c, "replay", "s", 100);
        List<DeliverFrame> first = consume(c, consumer, 6);

        c.send(new SeekFrame(correlation++, "replay", "s", SeekFrame.Kind.OFFSET, offsets.get(2)));
        assertThat(c.expect(ErrorFrame.class).message()).contains("has consumers attached");
        unsubscribe(c, consumer);
        c.send(new SeekFrame(correlation++, "replay", "s", SeekFrame.Kind.OFFSET, offsets.get(2)));
        assertThat(c.expect(SeekOkFrame.class).offset()).isEqualTo(offsets.get(2));

        int again = subscribe(c, "replay", "s", 100);
        List<DeliverFrame> replayed = consume(c, again, 4);
        assertThat(replayed).extracting(DeliverFrame::offset).containsExactlyElementsOf(offsets.subList(2, 6));
        for (int i = 0; i < 4; i++) {
            DeliverFrame before = first.get(i + 2);
            DeliverFrame now = replayed.get(i);
            assertThat(now.payload()).isEqualTo(before.payload());
            assertThat(now.brokerSignature()).as("the same seal as stored").isEqualTo(before.brokerSignature());
        }
        unsubscribe(c, again);
        long time = first.get(4).brokerTimestampMillis();
        c.send(new SeekFrame(correlation++, "replay", "s", SeekFrame.Kind.TIME, time));
        long position = c.expect(SeekOkFrame.class).offset();
        assertThat(first.get((int) (position - offsets.get(0))).brokerTimestampMillis()).isGreaterThanOrEqualTo(time);
        if (position > offsets.get(0)) {
            assertThat(first.get((int) (position - offsets.get(0)) - 1).brokerTimestampMillis()).isLessThan(time);
        }
    }

    @Test
    void shouldKeepTheNewFramesUnknownToAVersion1Session() throws Exception {
        start(Duration.ofDays(7));
        try (RawConnection v1 = broker.admin()) {
            v1.send(new CreateQueueFrame(correlation++, "old", 0, "", 0));
            v1.expect(OkFrame.class);
            v1.send(new PublishFrame(correlation++, "old", List.of(PublishMessage.of(Bytes.utf8("x")))));
            v1.expect(PublishOkFrame.class);
            v1.send(new ListSubscriptionsFrame(correlation++, "old"));
            assertThat(v1.expect(ErrorFrame.class).code()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE.code());
        }
    }
}
