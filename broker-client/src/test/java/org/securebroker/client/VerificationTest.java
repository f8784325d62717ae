package org.securebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.DeliverFrame;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.integrity.Canonical;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.ProducerSignature;
import org.securebroker.protocol.integrity.Receipt;
import org.securebroker.protocol.integrity.SigningKey;

class VerificationTest extends ClientTestSupport {

    private final List<ReceivedMessage> received = new CopyOnWriteArrayList<>();

    private DeliverFrame delivery(int consumerId, long offset, String payload) {
        return new DeliverFrame(consumerId, "orders", offset, 1, 1_700_000_000_000L, "bob", "p-1", offset,
                Headers.builder().add("k", "v").build(), Bytes.utf8(payload), Bytes.EMPTY, Bytes.EMPTY);
    }

    private static DeliverFrame withPayload(DeliverFrame f, String payload) {
        return new DeliverFrame(f.consumerId(), f.queue(), f.offset(), f.deliveryCount(), f.brokerTimestampMillis(),
                f.producerPrincipal(), f.producerId(), f.sequence(), f.headers(), Bytes.utf8(payload),
                f.producerSignature(), f.brokerSignature());
    }

    @Test
    void shouldHandOverVerifiedMessagesAndRefuseAChangedOneWithAClearError() {
        BrokerClient client = connect();
        Subscription s = client.subscribe("orders", "billing", received::add);
        int consumer = broker.lastConsumerId();
        broker.send(broker.signed(delivery(consumer, 1, "first")));
        eventually(() -> received.size() == 1);

        // signed as "second", changed in transit to "forged"
        broker.send(withPayload(broker.signed(delivery(consumer, 2, "second")), "forged"));
        eventually(() -> s.failure().isPresent());
        assertThat(received).hasSize(1);
        assertThat(s.isOpen()).isFalse();
        BrokerException e = s.failure().orElseThrow();
        assertThat(e.is(ErrorCode.VERIFICATION_FAILED)).isTrue();
        assertThat(e.getMessage()).contains("offset 2").contains("BAD_SIGNATURE").contains("not handed to the application");
    }

    @Test
    void shouldRefuseAGenuineMessageOfAnotherQueue() {
        BrokerClient client = connect();
        Subscription s = client.subscribe("orders", "billing", received::add);
        DeliverFrame d = delivery(broker.lastConsumerId(), 1, "payroll data");
        broker.send(broker.signed(new DeliverFrame(d.consumerId(), "payroll", d.offset(), 1, d.brokerTimestampMillis(),
                d.producerPrincipal(), d.producerId(), d.sequence(), d.headers(), d.payload(), Bytes.EMPTY, Bytes.EMPTY)));
        eventually(() -> s.failure().isPresent());
        assertThat(received).isEmpty();
        assertThat(s.failure().orElseThrow().getMessage()).contains("queue 'payroll', not of this subscription's queue");
    }

    @Test
    void shouldRefuseUnsignedDeliveriesAndOnesFromAnotherKey() {
        BrokerClient client = connect();
        Subscription s = client.subscribe("orders", "billing", received::add);
        broker.send(delivery(broker.lastConsumerId(), 1, "unsigned"));
        eventually(() -> s.failure().isPresent());
        assertThat(s.failure().orElseThrow().getMessage()).contains("UNSIGNED");
        assertThat(received).isEmpty();
    }

    @Test
    void shouldNotSubscribeWithoutPinnedKeysUnlessVerificationIsTurnedOffExplicitly() {
        BrokerClient unpinned = connect(builderWithoutKeys());
        assertThatThrownBy(() -> unpinned.subscribe("orders", "billing", received::add))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("brokerSigningKeys").hasMessageContaining("withoutSignatureVerification()");

        BrokerClient unverified = connect(builderWithoutKeys().withoutSignatureVerification());
        unverified.subscribe("orders", "billing", received::add);
        broker.send(delivery(broker.lastConsumerId(), 1, "unsigned"));
        eventually(() -> received.size() == 1);
    }

    @Test
    void shouldRefuseConflictingOrUnreadableKeySettings() {
        assertThatThrownBy(() -> builder().withoutSignatureVerification().connect())
                .hasMessageContaining("choose one");
        assertThatThrownBy(() -> builderWithoutKeys().withoutSignatureVerification().verifyReceipts().connect())
                .hasMessageContaining("verifyReceipts: needs brokerSigningKeys");
        assertThatThrownBy(() -> builderWithoutKeys().brokerSigningKeys(java.nio.file.Path.of("/nonexistent.pem")).connect())
                .hasMessageContaining("brokerSigningKeys: cannot use");
    }

    @Test
    void shouldVerifyReceiptsOnRequestAndFailASendWhoseReceiptDoesNotVerify() {
        BrokerClient client = connect(builder().verifyReceipts());
        SendReceipt r = client.send("orders", Message.of("hello"));
        Receipt receipt = Receipt.decode(r.receipt().toByteArray());
        assertThat(receipt.offset()).isEqualTo(r.offset());
        assertThat(receipt.isFor(Headers.EMPTY, Bytes.utf8("hello"), Bytes.EMPTY)).isTrue();

        BrokerClient unchecked = connect(builderWithoutKeys().brokerSigningKeys(
                KeySet.of(SigningKey.generate(new SecureRandom()).publicKey())));
        assertThat(unchecked.send("orders", Message.of("kept, not checked")).receipt().isEmpty()).isFalse();
        BrokerClient other = connect(builderWithoutKeys().verifyReceipts().brokerSigningKeys(
                KeySet.of(SigningKey.generate(new SecureRandom()).publicKey())));
        assertThatThrownBy(() -> other.send("orders", Message.of("hello")))
                .isInstanceOf(BrokerException.class)
                .satisfies(e -> assertThat(((BrokerException) e).is(ErrorCode.VERIFICATION_FAILED)).isTrue())
                .hasMessageContaining("UNKNOWN_KEY");
        assertThatThrownBy(() -> other.sendAsync("orders", Message.of("x")).join())
                .isInstanceOf(CompletionException.class);
    }

    @Test
    void shouldSignEveryPublishedMessageWithTheProducerKey() {
        SigningKey producer = SigningKey.generate(new SecureRandom());
        BrokerClient client = connect(builder().producerSigningKey(producer));
        client.send("orders", Message.builder().header("k", "v").payload("signed body").build());
        PublishMessage m = broker.published().get(broker.published().size() - 1);
        ProducerSignature.verify(m.producerSignature(), KeySet.of(producer.publicKey()), "orders", m.producerId(),
                m.sequence(), m.headers(), Canonical.payloadDigest(m.payload()));
    }

    private BrokerClientBuilder builderWithoutKeys() {
        return BrokerClient.builder().address("127.0.0.1", broker.port()).trustedCertificates(caPem)
                .credentials("alice", "s3cret".toCharArray())
                .requestTimeout(java.time.Duration.ofSeconds(5));
    }
}
