package org.securebroker.client;

import java.util.Objects;
import java.util.Optional;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Bytes;
import org.securebroker.protocol.frame.Headers;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.MessageVerifier;
import org.securebroker.protocol.integrity.ProducerSignature;
import org.securebroker.protocol.integrity.Receipt;
import org.securebroker.protocol.integrity.SigningKey;

/**
 * What the client does about signatures: verify deliveries and receipts against the pinned
 * broker keys (or, explicitly, not), and sign published messages with the producer's key.
 *
 * <p>Thread-safety: immutable; the verifier is thread-safe.
 *
 * @param verifier the pinned broker keys' verifier; empty if none were pinned
 * @param verificationDisabled the application turned verification off explicitly
 * @param producerKey signs every published message; empty = unsigned
 * @param verifyReceipts whether each send's receipt is checked before the send completes
 */
record ClientIntegrity(Optional<MessageVerifier> verifier, boolean verificationDisabled,
                              Optional<SigningKey> producerKey, boolean verifyReceipts) {

    /** Verifies nothing and signs nothing (verification turned off explicitly). */
    public static final ClientIntegrity UNVERIFIED = new ClientIntegrity(Optional.empty(), true, Optional.empty(),
            false);

    public ClientIntegrity {
        Objects.requireNonNull(verifier, "verifier");
        Objects.requireNonNull(producerKey, "producerKey");
        if (verifier.isPresent() && verificationDisabled) {
            throw new IllegalArgumentException("broker keys are pinned and verification is turned off");
        }
        if (verifyReceipts && verifier.isEmpty()) {
            throw new IllegalArgumentException("verifying receipts needs pinned broker keys");
        }
    }

    /** Bytes a producer signature adds to each message; 0 without a producer key. */
    int signatureBytes() {
        return producerKey.map(k -> ProducerSignature.encodedLength(k.id().length())).orElse(0);
    }

    /**
     * The verifier deliveries must pass.
     *
     * @throws IllegalStateException if no broker keys are pinned and verification was not
     *     turned off explicitly
     */
    Optional<MessageVerifier> deliveryVerifier(String what) {
        if (verifier.isEmpty() && !verificationDisabled) {
            throw new IllegalStateException("cannot start " + what + ": deliveries are verified against the broker's "
                    + "message-signing keys, and none are pinned; pin them with brokerSigningKeys(path to the broker's "
                    + "tls/signing-keys.pem), or accept unverified messages explicitly with withoutSignatureVerification()");
        }
        return verifier;
    }

    /**
     * Checks a receipt against the message it acknowledges, if receipts are to be verified.
     *
     * @return null if it verifies (or is not checked), else the error for the send
     */
    BrokerException checkReceipt(String queue, long offset, Bytes receipt, Headers headers, Bytes payload,
                                 Bytes producerSignature) {
        if (!verifyReceipts) {
            return null;
        }
        try {
            Receipt r = Receipt.decode(receipt.toByteArray());
            if (!r.queue().equals(queue) || r.offset() != offset) {
                throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                        "the receipt is for another queue or offset");
            }
            if (!r.isFor(headers, payload, producerSignature)) {
                throw new IntegrityException(IntegrityException.Reason.BAD_SIGNATURE,
                        "the receipt is for other content than the message sent");
            }
            verifier.get().verify(r);
            return null;
        } catch (IntegrityException e) {
            return new BrokerException(ErrorCode.VERIFICATION_FAILED, "the broker's receipt for the message stored at '"
                    + queue + "' offset " + Long.toUnsignedString(offset) + " does not verify (" + e.reason() + "): "
                    + e.getMessage() + "; the broker says it stored the message, but cannot prove it");
        }
    }
}
