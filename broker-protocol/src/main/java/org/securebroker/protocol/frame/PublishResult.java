package org.securebroker.protocol.frame;

import java.util.Objects;

/**
 * The outcome for one published message inside PUBLISH_OK.
 *
 * <pre>
 * u64 offset | bool duplicate | bytes receipt
 * </pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset where the message is stored (u64 carried in a long)
 * @param duplicate true if (producerId, sequence) was already stored; offset is the original
 * @param receipt signed receipt; empty in protocol version 1 until receipts are enabled
 */
public record PublishResult(long offset, boolean duplicate, Bytes receipt) {

    public PublishResult {
        Objects.requireNonNull(receipt, "receipt");
    }
}
