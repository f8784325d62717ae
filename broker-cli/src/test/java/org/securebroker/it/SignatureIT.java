package org.securebroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.client.BrokerClient;
import org.securebroker.client.BrokerClientBuilder;
import org.securebroker.client.BrokerException;
import org.securebroker.client.Message;
import org.securebroker.client.QueueSpec;
import org.securebroker.client.ReceivedMessage;
import org.securebroker.client.ReconnectPolicy;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.ErrorFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.PublishFrame;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.frame.PublishOkFrame;
import org.securebroker.protocol.integrity.BrokerSeal;
import org.securebroker.protocol.integrity.Canonical;
import org.securebroker.protocol.integrity.KeyPem;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.ProducerSignature;
import org.securebroker.protocol.integrity.SigningKey;
import org.securebroker.server.audit.AuditEntry;

/**
 * Producer signatures on a queue that requires them, signed receipts verified offline with only
 * the public key, and a rotation of the broker's signing key after which messages and receipts
 * from before and after both verify.
 */
class SignatureIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path data;
    private TestBroker broker;

    @BeforeEach
    void start() throws Exception {
        data = dir.resolve("data");
        broker = new TestBroker(data);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    /** A CLI command against the test broker. */
    private CliRun cli(String... args) {
        String[] all = Stream.concat(Stream.of(args), Stream.of("--data", data.toString(), "--server",
                "localhost:" + broker.port())).toArray(String[]::new);
        return CliRun.of("", all);
    }

    private Path auditDir() {
        return broker.broker().config().audit().dir();
    }

    private BrokerClientBuilder admin() throws Exception {
        return BrokerClient.builder().address("localhost", broker.port()).trustedCertificates(broker.caCert())
                .brokerSigningKeys(broker.signingKeys()).reconnect(ReconnectPolicy.never())
                .credentials("admin", broker.adminPassword().toCharArray());
    }

    @Test
    void shouldAcceptOnlyValidSignaturesByARegisteredKeyOnAQueueThatRequiresThem() throws Exception {
        SigningKey registered = SigningKey.generate(new SecureRandom());
        SigningKey stranger = SigningKey.generate(new SecureRandom());
        Path pub = dir.resolve("producer.pub");
        Files.writeString(pub, KeyPem.publicKeyPem(registered.publicKey()));
        CliRun add = CliRun.of("", "keys", "producer", "add", "admin", pub.toString(), "--data", data.toString());
        assertThat(add.exit()).as(add.err()).isZero();
        assertThat(add.out()).contains("registered key " + registered.id());

        try (BrokerClient plain = admin().connect();
             BrokerClient signer = admin().producerSigningKey(registered).connect();
             BrokerClient impostor = admin().producerSigningKey(stranger).connect()) {
            plain.createQueue(QueueSpec.named("signed").withRequiredProducerSignatures(true));
            AuditTrail.await(auditDir(), "key.producer.reload", 1);

            assertThatThrownBy(() -> plain.send("signed", Message.of("unsigned")))
                    .isInstanceOf(BrokerException.class)
                    .satisfies(e -> assertThat(((BrokerException) e).is(ErrorCode.SIGNATURE_REQUIRED)).isTrue())
                    .hasMessageContaining("queue 'signed' accepts only messages signed");
            assertThatThrownBy(() -> impostor.send("signed", Message.of("signed by a stranger")))
                    .isInstanceOf(BrokerException.class)
                    .satisfies(e -> assertThat(((BrokerException) e).is(ErrorCode.SIGNATURE_INVALID)).isTrue())
                    .hasMessageContaining("not registered");

            // a valid signature of another message: the broker must notice the swap
            try (RawConnection raw = broker.admin()) {
                Headers headers = Headers.EMPTY;
                Bytes signature = ProducerSignature.sign(registered, "signed", "p-raw", 1, headers, Bytes.utf8("original"));
                raw.send(new PublishFrame(9, "signed", List.of(new PublishMessage("p-raw", 1, 0, headers,
                        Bytes.utf8("forged"), signature))));
                ErrorFrame refused = raw.expect(ErrorFrame.class);
                assertThat(refused.code()).isEqualTo(ErrorCode.SIGNATURE_INVALID.code());
                assertThat(refused.message()).contains("does not match the message");
                raw.send(new PublishFrame(10, "signed", List.of(new PublishMessage("p-raw", 2, 0, headers,
                        Bytes.utf8("garbage"), Bytes.utf8("not a signature at all")))));
                assertThat(raw.expect(ErrorFrame.class).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID.code());
                // a bad signature is refused on a queue that does not require signatures too
                plain.createQueue(QueueSpec.named("open"));
                raw.send(new PublishFrame(11, "open", List.of(new PublishMessage("p-raw", 3, 0, headers,
                        Bytes.utf8("forged"), signature))));
                assertThat(raw.expect(ErrorFrame.class).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID.code());
                raw.send(new PublishFrame(12, "signed", List.of(new PublishMessage("p-raw", 4, 0, headers,
                        Bytes.utf8("original"), ProducerSignature.sign(registered, "signed", "p-raw", 4, headers,
                        Bytes.utf8("original"))))));
                assertThat(raw.expect(PublishOkFrame.class).results()).hasSize(1);
            }
            signer.send("signed", Message.builder().header("k", "v").payload("signed by its producer").build());
            // the last message stored: one subscriber receives in store order, so what it gets before this is all
            // that was stored before it, and none of the refused messages may be among it
            signer.send("signed", Message.of("end"));

            List<ReceivedMessage> got = new CopyOnWriteArrayList<>();
            signer.subscribe("signed", "check", m -> {
                got.add(m);
                m.ack();
            });
            Awaitility.await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> got.stream().anyMatch(m -> m.payloadUtf8().equals("end")));
            assertThat(got).extracting(ReceivedMessage::payloadUtf8)
                    .containsExactly("original", "signed by its producer", "end");
            for (ReceivedMessage m : got) {
                ProducerSignature.verify(m.producerSignature(), KeySet.of(registered.publicKey()), m.queue(),
                        m.producerId(), m.sequence(), m.headers(), Canonical.payloadDigest(m.payloadBytes()));
            }
        }
        List<AuditEntry> refused = AuditTrail.await(auditDir(), "message.signature.refused", 5);
        assertThat(refused).hasSize(5).allSatisfy(e -> {
            assertThat(e.principal()).isEqualTo("admin");
            assertThat(e.decision()).isEqualTo("deny");
        });
        assertThat(refused.get(0).reason()).startsWith("SIGNATURE_REQUIRED");
    }

    @Test
    void shouldVerifyReceiptsAndExportedMessagesOfflineWithOnlyThePublicKey() throws Exception {
        cli("queue", "create", "orders");
        Path receipts = dir.resolve("receipts.jsonl");
        CliRun produce = cli("produce", "orders", "-m", "first", "-m", "second", "--receipts", receipts.toString());
        assertThat(produce.exit()).as(produce.err()).isZero();
        Path keys = dir.resolve("only-the-public-key.pem");
        Files.copy(broker.signingKeys(), keys);

        CliRun ok = CliRun.of("", "verify", "receipt", receipts.toString(), "--keys", keys.toString());
        assertThat(ok.exit()).as(ok.out()).isZero();
        assertThat(ok.out()).contains("2 verified, 0 failed").contains("\"orders\" offset 0 from \"admin\"");

        List<String> lines = Files.readAllLines(receipts);
        ObjectNode receipt = (ObjectNode) JSON.readTree(lines.get(1));
        byte[] bytes = Base64.getDecoder().decode(receipt.get("receipt").asText());
        bytes[10] ^= 0x01; // inside the offset
        ObjectNode altered = JSON.createObjectNode().put("kind", "securebroker.receipt.v1")
                .put("receipt", Base64.getEncoder().encodeToString(bytes));
        ObjectNode relabelled = receipt.deepCopy().put("producerPrincipal", "alice");
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, lines.get(0) + "\n" + altered + "\n" + relabelled + "\n");
        CliRun refused = CliRun.of("", "verify", "receipt", bad.toString(), "--keys", keys.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).contains("bad.jsonl:1: OK").contains("bad.jsonl:2: FAILED BAD_")
                .contains("bad.jsonl:3: FAILED MALFORMED: 'producerPrincipal' says \"alice\"")
                .contains("1 verified, 2 failed");

        Path export = dir.resolve("messages.jsonl");
        CliRun consume = cli("consume", "orders", "-n", "2", "--export", export.toString());
        assertThat(consume.exit()).as(consume.err()).isZero();
        CliRun messages = CliRun.of("", "verify", "message", export.toString(), "--keys", keys.toString());
        assertThat(messages.exit()).as(messages.out()).isZero();
        assertThat(messages.out()).contains("2 verified, 0 failed");
        List<String> exported = Files.readAllLines(export);
        ObjectNode changed = ((ObjectNode) JSON.readTree(exported.get(0)))
                .put("payload", Base64.getEncoder().encodeToString("firsT".getBytes(StandardCharsets.UTF_8)));
        Files.writeString(export, changed + "\n" + exported.get(1) + "\n");
        CliRun tampered = CliRun.of("", "verify", "message", export.toString(), "--keys", keys.toString());
        assertThat(tampered.exit()).isEqualTo(1);
        assertThat(tampered.out()).contains("messages.jsonl:1: FAILED BAD_SIGNATURE").contains("1 verified, 1 failed");
    }

    @Test
    void shouldKeepMessagesAndReceiptsFromBeforeAKeyRotationVerifiable() throws Exception {
        Path oldKeys = dir.resolve("old-keys.pem");
        Files.copy(broker.signingKeys(), oldKeys);
        cli("queue", "create", "orders");
        Path before = dir.resolve("before.jsonl");
        Path after = dir.resolve("after.jsonl");
        assertThat(cli("produce", "orders", "-m", "before-1", "-m", "before-2", "--receipts", before.toString()).exit())
                .isZero();

        CliRun rotate = cli("keys", "rotate", "signing");
        assertThat(rotate.exit()).as(rotate.err()).isZero();
        assertThat(rotate.out()).contains("now lists 2 public key(s)").contains("signs new messages");
        KeySet both = KeyPem.readPublicKeys(broker.signingKeys());
        assertThat(both.size()).isEqualTo(2);
        assertThat(AuditTrail.await(auditDir(), "key.signing.rotate", 1)).singleElement().satisfies(e -> {
            assertThat(e.decision()).isEqualTo("allow");
            assertThat(e.resource()).isEqualTo(both.ids().get(0));
            assertThat(e.details()).containsEntry("previous", both.ids().get(1));
        });

        assertThat(cli("produce", "orders", "-m", "after-1", "-m", "after-2", "--receipts", after.toString()).exit())
                .isZero();
        for (Path receipts : List.of(before, after)) {
            CliRun verified = CliRun.of("", "verify", "receipt", receipts.toString(), "--keys", broker.signingKeys().toString());
            assertThat(verified.exit()).as(verified.out()).isZero();
        }
        assertThat(CliRun.of("", "verify", "receipt", before.toString(), "--keys", oldKeys.toString()).exit()).isZero();
        CliRun unknown = CliRun.of("", "verify", "receipt", after.toString(), "--keys", oldKeys.toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.out()).contains("FAILED UNKNOWN_KEY");

        List<ReceivedMessage> got = new CopyOnWriteArrayList<>();
        try (BrokerClient c = admin().connect()) {
            c.subscribe("orders", "check", m -> {
                got.add(m);
                m.ack();
            });
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> got.size() == 4);
        }
        assertThat(got).extracting(ReceivedMessage::payloadUtf8).containsExactly("before-1", "before-2", "after-1", "after-2");
        Set<String> signers = got.stream().map(m -> BrokerSeal.decode(m.brokerSignature().toByteArray()).keyId())
                .collect(Collectors.toSet());
        assertThat(signers).containsExactlyInAnyOrderElementsOf(both.ids());
    }
}
