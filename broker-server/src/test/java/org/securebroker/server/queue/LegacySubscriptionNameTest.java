package org.securebroker.server.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.request.RequestException;
import org.securebroker.store.Store;
import org.securebroker.store.TestStores;

/**
 * The subscription-name rule binds subscriptions being created. One created before the rule
 * existed, under a name it now refuses, keeps its backlog and can still be attached to, so an
 * upgrade never strands it (and its idle expiry never takes it for want of a consumer).
 */
class LegacySubscriptionNameTest {

    private static final String LEGACY = "billing service";

    @TempDir
    Path dir;

    private Store store;
    private QueueEngine engine;

    @BeforeEach
    void open() throws Exception {
        store = Store.open(TestStores.config(dir.resolve("store")).build(), TestStores.keyring());
        engine = QueueEngine.start(store, dir.resolve("queues.json"), EngineSettings.DEFAULTS, Clock.systemUTC(),
                List.of(QueueDefinition.simple("q")), false);
    }

    @AfterEach
    void close() {
        engine.close();
        store.close();
    }

    @Test
    void shouldAttachToASubscriptionCreatedBeforeTheNameRuleAndRefuseCreatingANewOne() throws Exception {
        // as an older broker left it: a durable subscription whose name the rule now refuses
        store.requireLog("q").subscriptions().create(LEGACY, 0).get(10, TimeUnit.SECONDS);
        engine.publish("q", "alice", List.of(PublishMessage.of(Bytes.utf8("kept")))).get(10, TimeUnit.SECONDS);
        assertThat(engine.hasSubscription("q", LEGACY)).isTrue();

        RecordingSink sink = new RecordingSink();
        Consumer c = engine.subscribe("q", LEGACY, 10, 1, sink, x -> { }, "alice").get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> sink.delivered.contains(0L));
        engine.detach(c);

        assertThatThrownBy(() -> engine.subscribe("q", "new service", 10, 2, sink, x -> { }, "alice").join())
                .hasCauseInstanceOf(RequestException.class)
                .satisfies(e -> assertThat(((RequestException) e.getCause()).code()).isEqualTo(ErrorCode.INVALID_REQUEST));
        assertThat(engine.hasSubscription("q", "new service")).isFalse();
    }
}
