package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.client.Subscription;
import org.securebroker.server.audit.AuditEntry;
import org.securebroker.cli.BrokerCli;
import org.securebroker.server.config.BrokerConfig;
import org.securebroker.store.crypto.KeyringFile;

/**
 * {@code broker keys rotate kek} while producers publish: nothing acknowledged is lost, every
 * data key ends up under the new KEK, each step is audited, and after a restart every message,
 * from before and after the rotation, reads back.
 */
class KeyRotationIT {

    /** Sends the load keeps open at a time (the client's send buffer holds 1024). */
    private static final int IN_FLIGHT = 512;

    @TempDir
    Path dir;

    private static BrokerClient admin(TestBroker broker) throws Exception {
        return BrokerClient.builder().address("localhost", broker.port()).trustedCertificates(broker.caCert()).brokerSigningKeys(broker.signingKeys())
                .reconnect(ReconnectPolicy.never()).credentials("admin", broker.adminPassword().toCharArray()).connect();
    }

    private static int cli(StringWriter out, String... args) {
        StringWriter err = new StringWriter();
        int rc = BrokerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        out.write(err.toString());
        return rc;
    }

    @Test
    void shouldRotateTheAuditKeyWhileRunningAndKeepTheWholeLogVerifiable() throws Exception {
        Path data = dir.resolve("data");
        try (TestBroker broker = new TestBroker(data)) {
            try (BrokerClient admin = admin(broker)) {
                admin.createQueue(QueueSpec.named("before"));
            }
            String oldId = org.securebroker.server.audit.AuditKeys
                    .loadPublic(data.resolve(BrokerConfig.Layout.AUDIT_PUBLIC_KEY)).id();
            StringWriter out = new StringWriter();
            assertThat(cli(out, "keys", "rotate", "audit", "--data", data.toString(), "--server",
                    "127.0.0.1:" + broker.port())).as(out.toString()).isZero();
            assertThat(out.toString()).contains("signs with the new one");
            try (BrokerClient admin = admin(broker)) {
                admin.createQueue(QueueSpec.named("after"));
            }
            Path auditDir = broker.broker().config().audit().dir();
            broker.stop();
            Path retired = data.resolve("tls/audit-" + oldId + ".pub");
            Path current = data.resolve(BrokerConfig.Layout.AUDIT_PUBLIC_KEY);
            StringWriter both = new StringWriter();
            assertThat(cli(both, "audit", "verify", auditDir.toString(), "--key", retired.toString(), "--key",
                    current.toString())).as(both.toString()).isZero();
            StringWriter newOnly = new StringWriter();
            assertThat(cli(newOnly, "audit", "verify", auditDir.toString(), "--key", current.toString())).isEqualTo(1);
            assertThat(newOnly.toString()).contains("UNKNOWN_KEY");
            assertThat(AuditTrail.entries(auditDir, "key.audit")).extracting(AuditEntry::type).containsExactly("key.audit.rotate");
        }
    }

    @Test
    void shouldRotateTheKekUnderLoadWithoutLosingOrUnreadingAMessage() throws Exception {
        Path data = dir.resolve("data");
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        try (TestBroker broker = new TestBroker(data)) {
            String before = broker.broker().store().kekIdsInUse().toString();
            try (BrokerClient producer = admin(broker)) {
                for (String q : List.of("orders", "billing", "audit-trail")) {
                    producer.createQueue(QueueSpec.named(q));
                }
                AtomicBoolean running = new AtomicBoolean(true);
                // the load keeps at most this many sends open: paced by the broker's acknowledgements, and
                // below the client's send buffer, so no send fails OVERLOADED and the loop never spins
                Semaphore open = new Semaphore(IN_FLIGHT);
                CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
                    int i = 0;
                    while (running.get()) {
                        String payload = "m" + i;
                        String queue = List.of("orders", "billing", "audit-trail").get(i % 3);
                        try {
                            open.acquire();
                        } catch (InterruptedException e) {
                            return;
                        }
                        producer.sendAsync(queue, Message.of(payload)).whenComplete((receipt, error) -> {
                            if (error == null) {
                                acknowledged.add(queue + "/" + payload);
                            }
                            open.release();
                        });
                        i++;
                    }
                });
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> acknowledged.size() > 2000);

                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int rc = BrokerCli.execute(new String[]{"keys", "rotate", "kek", "--wait", "--data", data.toString(),
                        "--server", "127.0.0.1:" + broker.port()}, new PrintWriter(out, true), new PrintWriter(err, true));
                assertThat(rc).as(err.toString()).isZero();
                assertThat(out.toString()).contains("rewraps the data keys in the background")
                        .contains("rewrapped: 3 of 3 queues").contains("done: ");
                String current = KeyringFile.load(data.resolve(BrokerConfig.Layout.KEK_FILE)).current().id();

                Path auditDir = broker.broker().config().audit().dir();
                Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> AuditTrail.entries(auditDir, "key.kek").stream()
                        .anyMatch(e -> e.type().equals("key.kek.rewrapped")));
                int atRewrap = acknowledged.size();
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> acknowledged.size() > atRewrap + 1000);

                // the message-signing key too, still under load
                StringWriter signing = new StringWriter();
                assertThat(cli(signing, "keys", "rotate", "signing", "--data", data.toString(), "--server",
                        "127.0.0.1:" + broker.port())).as(signing.toString()).isZero();
                int atSigning = acknowledged.size();
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> acknowledged.size() > atSigning + 1000);
                running.set(false);
                load.get(10, TimeUnit.SECONDS);
                // every send has its outcome: the acknowledged set is complete
                assertThat(open.tryAcquire(IN_FLIGHT, 30, TimeUnit.SECONDS)).isTrue();

                assertThat(broker.broker().store().kekIdsInUse()).as("was " + before).containsExactly(current);
                assertThat(AuditTrail.entries(auditDir, "key.kek")).extracting(AuditEntry::type)
                        .startsWith("key.kek.rotate").contains("key.kek.rewrap").endsWith("key.kek.rewrapped");
            }
            broker.restart();
            Set<String> read = ConcurrentHashMap.newKeySet();
            Set<String> signers = ConcurrentHashMap.newKeySet();
            List<Subscription> subscriptions = new java.util.ArrayList<>();
            try (BrokerClient consumer = admin(broker)) { // pins tls/signing-keys.pem: the new key and the retired one
                for (String q : List.of("orders", "billing", "audit-trail")) {
                    subscriptions.add(consumer.subscribe(q, "after-rotation", m -> {
                        read.add(q + "/" + m.payloadUtf8());
                        signers.add(org.securebroker.protocol.integrity.BrokerSeal.decode(
                                m.brokerSignature().toByteArray()).keyId());
                        m.ack();
                    }));
                }
                Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> read.containsAll(acknowledged));
                assertThat(subscriptions).allSatisfy(s -> assertThat(s.failure()).isEmpty());
            }
            assertThat(signers).as("messages signed before and after the rotation, all verified")
                    .containsExactlyInAnyOrderElementsOf(org.securebroker.protocol.integrity.KeyPem
                            .readPublicKeys(broker.signingKeys()).ids());
            System.out.printf("KEK and signing key rotated under load: %d messages acknowledged, all read back and "
                    + "verified after a restart%n", acknowledged.size());
        }
    }
}
