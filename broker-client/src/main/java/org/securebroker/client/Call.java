package org.securebroker.client;

import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletableFuture;
import org.securebroker.protocol.ErrorCode;
import org.securebroker.protocol.frame.Frame;
import org.securebroker.protocol.frame.FrameType;

/**
 * A non-publish request (SUBSCRIBE, UNSUBSCRIBE, admin) whose answer completes a future.
 *
 * <p>The future is completed on the event loop; only client-internal code chains on it.
 *
 * <p>Thread-safety: used on the event loop only.
 */
final class Call implements PendingRequest {

    private final FrameType requestType;
    private final Class<? extends Frame> expectedReply;
    private final CompletableFuture<Frame> result;
    private ScheduledFuture<?> timeout;

    Call(FrameType requestType, Class<? extends Frame> expectedReply, CompletableFuture<Frame> result) {
        this.requestType = requestType;
        this.expectedReply = expectedReply;
        this.result = result;
    }

    void timeout(ScheduledFuture<?> timeout) {
        this.timeout = timeout;
    }

    @Override
    public void complete(Frame reply) {
        cancelTimeout();
        if (expectedReply.isInstance(reply)) {
            result.complete(reply);
        } else {
            result.completeExceptionally(new BrokerException(ErrorCode.PROTOCOL_ERROR,
                    "broker answered " + requestType + " with " + reply.type()));
        }
    }

    @Override
    public void fail(BrokerException error) {
        cancelTimeout();
        result.completeExceptionally(error);
    }

    @Override
    public String describe() {
        return requestType.name();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
