package org.securebroker.client;

import java.util.Objects;
import org.securebroker.protocol.frame.Bytes;

/**
 * The broker's acknowledgement of one published message: it is durably stored.
 *
 * <p>Thread-safety: immutable.
 *
 * @param queue the queue the message was published to
 * @param offset where the message is stored (an unsigned 64-bit value carried in a long); for a
 *     duplicate, the offset of the copy stored first
 * @param duplicate true if the broker already had this message (same producer id and sequence,
 *     typically a resend after a reconnect) and did not store it again
 * @param receipt the broker's signed receipt, opaque to the client; empty while the broker does
 *     not sign receipts
 */
public record SendReceipt(String queue, long offset, boolean duplicate, Bytes receipt) {

    public SendReceipt {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(receipt, "receipt");
    }

    /** The offset as an unsigned decimal string. */
    public String offsetString() {
        return Long.toUnsignedString(offset);
    }
}
