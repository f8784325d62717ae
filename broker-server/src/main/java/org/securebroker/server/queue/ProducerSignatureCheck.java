package org.securebroker.server.queue;

import java.util.List;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.PublishMessage;
import org.securebroker.protocol.integrity.Canonical;
import org.securebroker.protocol.integrity.IntegrityException;
import org.securebroker.protocol.integrity.KeySet;
import org.securebroker.protocol.integrity.ProducerSignature;
import org.securebroker.server.config.QueueDefinition;
import org.securebroker.server.request.RequestException;

/**
 * Checks the producer signatures of a publish before anything of it is stored: every signature
 * present must be valid under a key registered for the publishing principal, and a queue that
 * requires signatures refuses a message without one.
 *
 * <p>Thread-safety: stateless.
 */
final class ProducerSignatureCheck {

    private ProducerSignatureCheck() {
    }

    /**
     * @throws RequestException {@code SIGNATURE_REQUIRED} or {@code SIGNATURE_INVALID}, naming the
     *     message (1-based), the reason and what would be accepted
     */
    static void check(QueueDefinition queue, String principal, List<PublishMessage> messages, KeySet keys) {
        for (int i = 0; i < messages.size(); i++) {
            PublishMessage m = messages.get(i);
            if (m.producerSignature().isEmpty()) {
                if (queue.requireProducerSignatures()) {
                    throw new RequestException(ErrorCode.SIGNATURE_REQUIRED, "message " + (i + 1) + " has no producer "
                            + "signature; queue '" + queue.name() + "' accepts only messages signed with a key registered "
                            + "for '" + principal + "' ('broker keys producer add'); nothing of this publish was stored");
                }
                continue;
            }
            try {
                ProducerSignature.verify(m.producerSignature(), keys, queue.name(), m.producerId(), m.sequence(),
                        m.headers(), Canonical.payloadDigest(m.payload()));
            } catch (IntegrityException e) {
                String registered = keys.isEmpty() ? "no key is registered for '" + principal + "'"
                        : "keys registered for '" + principal + "': " + keys.ids();
                throw new RequestException(ErrorCode.SIGNATURE_INVALID, "message " + (i + 1) + ": " + e.getMessage()
                        + " (" + registered + "); nothing of this publish was stored");
            }
        }
    }
}
