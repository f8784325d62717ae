package org.securebroker.client;

import org.securebroker.protocol.frame.Frame;

/**
 * A request sent on a session and waiting for its answer, keyed by correlation id.
 *
 * <p>Thread-safety: used on the event loop only.
 */
sealed interface PendingRequest permits Call, PublishBatch {

    /** The broker answered (any frame but ERROR). */
    void complete(Frame reply);

    /** The broker refused, the request timed out, or the connection was lost. */
    void fail(BrokerException error);

    /** Names the request in error messages, e.g. "CREATE_QUEUE". */
    String describe();
}
