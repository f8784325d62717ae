package org.securebroker.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.securebroker.protocol.codec.FrameCodec;
import org.securebroker.protocol.codec.FrameDecoder;
import org.securebroker.protocol.frame.BrowseResultFrame;
import org.securebroker.protocol.frame.OkFrame;
import org.securebroker.protocol.frame.SeekOkFrame;
import org.securebroker.protocol.frame.SubscriptionListFrame;
import org.securebroker.protocol.frame.AuthFrame;
import org.securebroker.protocol.frame.AuthOkFrame;
import org.securebroker.protocol.frame.BrowseFrame;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeleteSubscriptionFrame;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.HelloFrame;
import org.securebroker.protocol.frame.HelloOkFrame;
import org.securebroker.protocol.frame.ListSubscriptionsFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PurgeQueueFrame;
import org.securebroker.protocol.frame.RejectFrame;
import org.securebroker.protocol.frame.SeekFrame;
import org.securebroker.protocol.frame.SubscribeFrame;
import org.securebroker.protocol.frame.SubscribeOkFrame;
import org.securebroker.server.access.AccessControl;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.server.audit.AuditLog;
import org.securebroker.server.audit.AuditLogs;
import org.securebroker.server.audit.AuditReader;
import org.securebroker.server.auth.AuthMechanism;
import org.securebroker.server.auth.AuthStep;
import org.securebroker.server.auth.Mechanisms;
import org.securebroker.server.auth.UserStore;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.identity.Identity;
import org.securebroker.server.net.Pipeline;
import org.securebroker.server.queue.ConsumerSink;
import org.securebroker.server.queue.EngineSettings;
import org.securebroker.server.queue.QueueEngine;
import org.securebroker.server.queue.SubscriptionAdmin;
import org.securebroker.server.rbac.PolicyHolder;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;
import org.securebroker.store.io.DefaultFileLayer;

/**
 * The version 2 subscription lifecycle commands through a real session, engine and enforcing
 * access control: a principal without the action is refused NOT_AUTHORIZED before anything else
 * is looked at (a missing queue or subscription, an offset out of range), the refusal is in the
 * audit log, and a refused command changes nothing.
 */
class SubscriptionCommandsAuthorizationTest {

    private static final String POLICY = """
            roles:
              reader:
                allow:
                  - actions: [consume]
                    resources: [orders]
              writer:
                allow:
                  - actions: [publish]
                    resources: ["*"]
              operator:
                allow:
                  - actions: [delete]
                    resources: [orders]
            """;

    @TempDir
    Path dir;

    private Store store;
    private QueueEngine engine;
    private AuditLog audit;
    private Path policyFile;
    private PolicyHolder policies;
    private EmbeddedChannel channel;
    private final List<DeliverFrame> delivered = new ArrayList<>();
    private int correlation = 10;

    @BeforeEach
    void setUp() throws Exception {
        store = Store.open(TestStores.config(dir.resolve("store")).build(), TestStores.keyring());
        engine = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, Clock.systemUTC(),
                List.of(new QueueDefinition("orders", 0, "orders.dlq", Duration.ZERO),
                        QueueDefinition.simple("orders.dlq")), false);
        for (int i = 0; i < 3; i++) {
            get(engine.publish("orders", "alice", List.of(PublishMessage.of(Bytes.utf8("m" + i)))));
        }
        // a subscription, without consumers, holding every message
        engine.detach(get(engine.subscribe("orders", "held", 0, 1, new ConsumerSink() {
            @Override
            public boolean isWritable() {
                return true;
            }

            @Override
            public void deliver(DeliverFrame frame) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void cancelled(int consumerId, ErrorCode code, String message) {
            }
        }, c -> { }, "alice")));
        policyFile = dir.resolve("policy.yaml");
        Files.writeString(policyFile, POLICY);
        policies = PolicyHolder.load(policyFile, Clock.systemUTC());
        audit = AuditLogs.open(dir.resolve("audit"), DefaultFileLayer.INSTANCE);
    }

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        engine.close();
        store.close();
        audit.close();
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** A version 2 session authenticated as {@code principal} with {@code role}. */
    private void open(String principal, String role) throws Exception {
        open(principal, role, 1 << 20);
    }

    /** The same, with the client announcing {@code maxFrameSize} (what the session negotiates). */
    private void open(String principal, String role, int maxFrameSize) throws Exception {
        AuthMechanism token = new AuthMechanism() {
            @Override
            public String name() {
                return "TOKEN";
            }

            @Override
            public Exchange start(org.securebroker.server.auth.ConnectionInfo connection) {
                return message -> CompletableFuture.completedFuture(new AuthStep.Success(
                        new Identity(principal, List.of(role), "TOKEN", 0, false), Bytes.EMPTY));
            }
        };
        UserStore users = UserStore.create(dir.resolve("users-" + principal + ".json"), List.of());
        AccessControl access = AccessControl.enforcing(policies, users, audit, Duration.ofHours(1), Clock.systemUTC());
        SessionSettings settings = new SessionSettings("test", Duration.ofSeconds(5), Duration.ofSeconds(5), 1 << 20,
                100, Clock.systemUTC());
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(Pipeline.FRAME_DECODER, new FrameDecoder())
                .addLast(Pipeline.SESSION, new SessionHandler(settings, new Mechanisms(List.of(token), token), engine,
                        ConnectionListener.NONE, () -> { }, access));
        channel.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
        channel.writeInbound(new HelloFrame(1, 1, 2, maxFrameSize, "c"));
        assertThat(next(HelloOkFrame.class).version()).isEqualTo(2);
        channel.writeInbound(new AuthFrame(2, "TOKEN", Bytes.EMPTY));
        next(AuthOkFrame.class);
    }

    /** The next answer, keeping deliveries aside. */
    private <T extends Frame> T next(Class<T> type) {
        Object o = Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> {
            channel.runPendingTasks();
            Object out = channel.readOutbound();
            while (out instanceof DeliverFrame d) {
                delivered.add(d);
                out = channel.readOutbound();
            }
            return out;
        }, x -> x != null);
        assertThat(o).isInstanceOf(type);
        return type.cast(o);
    }

    private ErrorFrame refused(Frame request) {
        channel.writeInbound(request);
        ErrorFrame error = next(ErrorFrame.class);
        assertThat(error.correlationId()).isEqualTo(request.correlationId());
        assertThat(error.code()).as(error.message()).isEqualTo(ErrorCode.NOT_AUTHORIZED.code());
        return error;
    }

    private SubscriptionAdmin.Status status(String subscription) throws Exception {
        return get(engine.subscriptions().list("orders")).stream().filter(s -> s.name().equals(subscription))
                .findFirst().orElseThrow();
    }

    private List<String> denials() throws Exception {
        return Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> {
            try (Stream<AuditEntry> all = AuditReader.entries(dir.resolve("audit"),
                    AuditReader.Filter.ALL.withType("authz.deny"))) {
                return all.map(e -> e.principal() + " " + e.action() + " " + e.resource()).toList();
            }
        }, l -> !l.isEmpty());
    }

    @Test
    void shouldRefuseAPrincipalWithoutConsumeBeforeLookingAtQueueSubscriptionOrOffset() throws Exception {
        open("bob", "writer");
        SubscriptionAdmin.Status before = status("held");

        refused(new ListSubscriptionsFrame(correlation++, "no-such-queue"));
        refused(new ListSubscriptionsFrame(correlation++, "orders"));
        refused(new DeleteSubscriptionFrame(correlation++, "orders", "no-such-subscription"));
        refused(new DeleteSubscriptionFrame(correlation++, "orders", "held"));
        refused(new BrowseFrame(correlation++, "no-such-queue", 0, 10, 1 << 20));
        refused(new BrowseFrame(correlation++, "orders", 0, 10, 1 << 20));
        refused(new SeekFrame(correlation++, "orders", "held", SeekFrame.Kind.OFFSET, 1_000_000));
        refused(new SeekFrame(correlation++, "orders", "held", SeekFrame.Kind.OFFSET, 2));
        refused(new SeekFrame(correlation++, "orders", "held", SeekFrame.Kind.TIME, 0));
        refused(new PurgeQueueFrame(correlation++, "orders"));

        assertThat(status("held")).as("not deleted, moved or purged").isEqualTo(before);
        assertThat(before.pending()).isEqualTo(3);
        assertThat(store.log("orders").orElseThrow().startOffset()).isZero();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> denials().size() >= 10);
        assertThat(denials()).containsExactly("bob consume no-such-queue", "bob consume orders",
                "bob consume orders", "bob consume orders", "bob consume no-such-queue", "bob consume orders",
                "bob consume orders", "bob consume orders", "bob consume orders", "bob purge orders");
    }

    private static final ConsumerSink NO_SINK = new ConsumerSink() {
        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void deliver(DeliverFrame frame) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void cancelled(int consumerId, ErrorCode code, String message) {
        }
    };

    /** A subscription of {@code orders} without consumers, created for {@code owner} (empty: nobody). */
    private void subscription(String name, String owner) throws Exception {
        engine.detach(get(engine.subscribe("orders", name, 0, 1, NO_SINK, c -> { }, owner)));
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> status(name).consumers() == 0);
    }

    private static long encodedLength(Frame frame) {
        ByteBuf out = Unpooled.buffer();
        try {
            FrameCodec.encode(frame, out);
            return out.getUnsignedInt(0);
        } finally {
            out.release();
        }
    }

    @Test
    void shouldRefuseDeletingOrMovingAnotherPrincipalsSubscriptionAndAuditTheDenial() throws Exception {
        open("carol", "reader");
        SubscriptionAdmin.Status before = status("held");

        ErrorFrame delete = refused(new DeleteSubscriptionFrame(correlation++, "orders", "held"));
        ErrorFrame seek = refused(new SeekFrame(correlation++, "orders", "held", SeekFrame.Kind.OFFSET, 2));

        assertThat(delete.message()).isEqualTo("'carol' may not delete subscription 'held' of queue 'orders': another "
                + "principal owns it; only its owner (with consume on the queue) or a principal with delete on the "
                + "queue may");
        assertThat(seek.message()).startsWith("'carol' may not move subscription 'held'");
        assertThat(status("held")).as("neither deleted nor moved").isEqualTo(before);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> denials().size() >= 2);
        assertThat(denials()).containsExactly("carol delete orders", "carol delete orders");
    }

    @Test
    void shouldLetTheOwnerMoveAndDeleteItsOwnSubscription() throws Exception {
        subscription("mine", "carol");
        open("carol", "reader");

        channel.writeInbound(new SeekFrame(correlation++, "orders", "mine", SeekFrame.Kind.OFFSET, 2));
        assertThat(next(SeekOkFrame.class).offset()).isEqualTo(2);
        channel.writeInbound(new DeleteSubscriptionFrame(correlation++, "orders", "mine"));
        next(OkFrame.class);

        assertThat(get(engine.subscriptions().list("orders"))).extracting(SubscriptionAdmin.Status::name)
                .containsExactly("held");
    }

    @Test
    void shouldLetAPrincipalWithDeleteOnTheQueueDeleteAnySubscription() throws Exception {
        subscription("orphan", "");
        open("olga", "operator");

        channel.writeInbound(new DeleteSubscriptionFrame(correlation++, "orders", "held"));
        next(OkFrame.class);
        channel.writeInbound(new SeekFrame(correlation++, "orders", "orphan", SeekFrame.Kind.OFFSET, 1));
        assertThat(next(SeekOkFrame.class).offset()).isEqualTo(1);

        assertThat(get(engine.subscriptions().list("orders"))).extracting(SubscriptionAdmin.Status::name)
                .containsExactly("orphan");
    }

    @Test
    void shouldLeaveASubscriptionWithoutARecordedOwnerToOperators() throws Exception {
        subscription("orphan", "");
        open("carol", "reader");

        assertThat(refused(new DeleteSubscriptionFrame(correlation++, "orders", "orphan")).message())
                .contains("no owner is recorded for it");
        assertThat(refused(new DeleteSubscriptionFrame(correlation++, "orders", "no-such-subscription")).message())
                .as("nothing learnt about what does not exist").contains("no owner is recorded for it");

        assertThat(status("orphan").cursor()).isZero();
    }

    @Test
    void shouldKeepEveryBrowseAnswerWithinASmallNegotiatedFrame() throws Exception {
        for (int i = 0; i < 10; i++) {
            get(engine.publish("orders", "alice", List.of(PublishMessage.of(Bytes.copyOf(new byte[1000])))));
        }
        get(engine.publish("orders", "alice", List.of(PublishMessage.of(Bytes.copyOf(new byte[5000])))));
        open("carol", "reader", 4096);

        List<Long> offsets = new ArrayList<>();
        long from = 0;
        while (from < 13) {
            channel.writeInbound(new BrowseFrame(correlation++, "orders", from, 1000, 0xFFFF_FFFFL));
            BrowseResultFrame page = next(BrowseResultFrame.class);
            assertThat(encodedLength(page)).as("fits the negotiated frame").isLessThanOrEqualTo(4096);
            page.messages().forEach(m -> offsets.add(m.offset()));
            from = page.nextOffset();
        }
        assertThat(offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);

        channel.writeInbound(new BrowseFrame(correlation++, "orders", 13, 1000, 0xFFFF_FFFFL));
        ErrorFrame tooLarge = next(ErrorFrame.class);
        assertThat(tooLarge.code()).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE.code());
        assertThat(tooLarge.message()).contains("the message at offset 13 of queue 'orders' takes")
                .contains("browse from offset 14 to skip it");
    }

    @Test
    void shouldListSubscriptionsInPagesWithinASmallNegotiatedFrame() throws Exception {
        List<String> names = new ArrayList<>();
        names.add("held");
        for (int i = 0; i < 20; i++) {
            String name = "s" + (char) ('a' + i) + "x".repeat(198);
            names.add(name);
            subscription(name, "alice");
        }
        java.util.Collections.sort(names);
        open("carol", "reader", 4096);

        List<String> seen = new ArrayList<>();
        String after = "";
        int pages = 0;
        boolean more = true;
        while (more) {
            channel.writeInbound(new ListSubscriptionsFrame(correlation++, "orders", after));
            SubscriptionListFrame page = next(SubscriptionListFrame.class);
            assertThat(encodedLength(page)).as("fits the negotiated frame").isLessThanOrEqualTo(4096);
            page.subscriptions().forEach(s -> seen.add(s.name()));
            after = seen.get(seen.size() - 1);
            more = page.more();
            pages++;
        }
        assertThat(seen).containsExactlyElementsOf(names);
        assertThat(pages).isGreaterThan(1);
    }

    @Test
    void shouldRefuseAPurgeToAPrincipalThatMayOnlyConsume() throws Exception {
        open("carol", "reader");
        channel.writeInbound(new ListSubscriptionsFrame(correlation++, "orders"));
        next(org.securebroker.protocol.frame.SubscriptionListFrame.class);

        refused(new PurgeQueueFrame(correlation++, "orders"));

        assertThat(status("held").pending()).isEqualTo(3);
        assertThat(store.log("orders").orElseThrow().startOffset()).isZero();
        assertThat(denials()).containsExactly("carol purge orders");
    }

    @Test
    void shouldRefuseARejectOnceTheRightToConsumeIsGoneAndMoveNothing() throws Exception {
        open("carol", "reader");
        channel.writeInbound(new SubscribeFrame(correlation++, "orders", "carol", 10));
        int consumer = next(SubscribeOkFrame.class).consumerId();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> {
            channel.runPendingTasks();
            Object o;
            while ((o = channel.readOutbound()) != null) {
                if (o instanceof DeliverFrame d) {
                    delivered.add(d);
                }
            }
            return delivered.size() == 3;
        });
        // the policy changes; the reject comes before the session has cancelled the consumer
        Files.writeString(policyFile, POLICY.replace("actions: [consume]", "actions: [publish]"));
        assertThat(policies.reload()).isTrue();

        refused(new RejectFrame(correlation++, consumer, delivered.get(0).offset(), "poison"));

        assertThat(denials()).containsExactly("carol consume orders");
        assertThat(status("carol").inFlight()).as("still out, not settled").isEqualTo(3);
        Awaitility.await().during(500, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS)
                .until(() -> store.log("orders.dlq").orElseThrow().endOffset() == 0);
    }
}
